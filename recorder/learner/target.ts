import { AppError } from '../../core/index.js';
import type { Chain } from './chains.js';

/**
 * The request the caller names as the workflow's result. `urlIncludes` is a piece of the URL;
 * `*` in it stands for anything (`/wp-json/wp/v2/posts/*`). `entry` is a HAR entry's index
 * (0-based, as GET /v1/recordings/:id/requests lists them).
 */
export interface TargetSpec {
  method?: string;
  urlIncludes?: string;
  entry?: number;
}

const METHOD = /^[A-Za-z]{3,10}$/;

/** `POST /api/items`, `/api/items/*`, `GET`, `#12` (an entry) → a TargetSpec; undefined for empty text. */
export function parseTarget(text: string): TargetSpec | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const entry = /^#?(\d{1,6})$/.exec(t);
  if (entry) return { entry: Number(entry[1]) };
  const [first, ...rest] = t.split(/\s+/);
  if (rest.length === 0) return METHOD.test(first!) && !first!.includes('/') ? { method: first!.toUpperCase() } : { urlIncludes: first! };
  if (!METHOD.test(first!) || rest.length > 1) throw new AppError('invalid_request', 'A target is a method and a URL pattern, like "POST /api/items/*"', { details: [{ path: 'target', message: `cannot read "${t.slice(0, 100)}"` }] });
  return { method: first!.toUpperCase(), urlIncludes: rest[0]! };
}

function urlMatcher(pattern: string): (url: string) => boolean {
  if (!pattern.includes('*')) return (url) => url.includes(pattern);
  const re = new RegExp(pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
  return (url) => re.test(url);
}

/** Whether a spec names anything at all. */
export function namesTarget(spec: TargetSpec | undefined): spec is TargetSpec {
  return !!spec && (spec.method !== undefined || spec.urlIncludes !== undefined || spec.entry !== undefined);
}

/** The last answered chain matching `spec` (for `entry`: the chain holding that entry). */
export function findTarget(chains: Chain[], spec: TargetSpec): number | undefined {
  const m = spec.method?.toUpperCase();
  const url = spec.urlIncludes !== undefined ? urlMatcher(spec.urlIncludes) : undefined;
  for (let i = chains.length - 1; i >= 0; i--) {
    const c = chains[i]!;
    if (!c.head.url || c.final.status <= 0) continue;
    if (spec.entry !== undefined && c.head.index !== spec.entry && !c.hops.some((h) => h.index === spec.entry)) continue;
    // A redirect hop is answered as part of the request that led to it: naming it names that chain.
    const hit = [c.head, ...c.hops].some((ex) => (!m || ex.method === m) && (!url || url(ex.rawUrl)));
    if (!hit) continue;
    return i;
  }
  return undefined;
}

/** learn_failed naming the target and, as details, the answered requests it could have been. */
export function noTarget(chains: Chain[], spec: TargetSpec): AppError {
  const named = spec.entry !== undefined ? `entry ${spec.entry}` : `${spec.method ?? '*'} ${spec.urlIncludes ?? ''}`.trim();
  const candidates = chains
    .filter((c) => c.head.url && c.final.status > 0)
    .slice(-20)
    .map((c) => ({ path: `entries[${c.head.index}]`, message: `${c.head.method} ${c.head.url!.pathname}${c.head.url!.search}`.slice(0, 300), status: c.final.status }));
  return new AppError('learn_failed', `No recorded request matches the target ${named}; details list the last requests recorded`, { details: [{ path: 'target', message: named }, ...candidates] });
}
