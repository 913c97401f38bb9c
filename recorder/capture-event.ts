/** What the injected capture script reports through its binding, checked before it is trusted. */
import type { CaptureEvent } from './capture-script.js';

const FIELD_MAX = 10_000;
const KINDS = new Set(['click', 'fill', 'press', 'select', 'nav', 'active']);

/** The page is not trusted: keep only known kinds and bounded strings. */
export function sanitizeEvent(raw: unknown): CaptureEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.kind !== 'string' || !KINDS.has(r.kind)) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, FIELD_MAX) : undefined);
  const ev: CaptureEvent = { kind: r.kind as CaptureEvent['kind'], top: r.top === true, url: str(r.url) };
  if (r.kind === 'nav' || r.kind === 'active') return ev;
  ev.selector = str(r.selector);
  if (!ev.selector) return undefined;
  const strings = (v: unknown, max: number) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 2000).slice(0, max) : undefined);
  ev.candidates = strings(r.candidates, 16);
  ev.frames = strings(r.frames, 10);
  if (typeof r.ref === 'string' && r.ref.length <= 40) ev.ref = r.ref;
  ev.value = str(r.value);
  ev.key = str(r.key);
  ev.input = str(r.input)?.slice(0, 64);
  ev.secret = r.secret === true;
  if (ev.kind === 'press' && !ev.key) return undefined;
  return ev;
}
