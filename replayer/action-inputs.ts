import type { Action, Workflow } from '../core/index.js';
import type { RunInputs } from './run-inputs.js';
import { stringify } from './variable-scope.js';

/** A recorded value and what this run puts in its place. */
interface Swap {
  name: string;
  recorded: string;
  value: string;
}

/** Values this short only count where the parameter is named like the input (`page=1` is not `rev=1`). */
const SHORT = 4;

function norm(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/**
 * The recorded actions with this run's inputs in place of the recorded values, wherever they
 * appear: the values typed into fields and chosen in selects, and goto URLs (path segments, query
 * values, fragment). A browser run that replays the recorded URL with a new text would write the
 * new text over the recorded page: a run that did something else than asked.
 */
export function actionsWithInputs(wf: Workflow, inputs: RunInputs): Action[] {
  const swaps: Swap[] = [];
  for (const spec of wf.inputs) {
    if (spec.secret || spec.default === undefined) continue;
    const recorded = String(spec.default);
    const v = inputs.get(spec.name);
    if (v === undefined || v === null) continue;
    const value = stringify(v);
    if (value !== recorded && recorded !== '') swaps.push({ name: spec.name, recorded, value });
  }
  if (!swaps.length) return wf.actions;
  // Longer recorded values first: one that contains another is replaced whole.
  swaps.sort((a, b) => b.recorded.length - a.recorded.length);
  return wf.actions.map((a) => {
    if (a.type === 'goto' && a.url) {
      const url = swapUrl(a.url, swaps);
      return url === a.url ? a : { ...a, url };
    }
    if ((a.type === 'fill' || a.type === 'select') && a.value !== undefined && !a.input) {
      const s = swaps.find((x) => x.recorded === a.value && (x.recorded.length >= SHORT || fits(x, a.selector ?? '')));
      return s ? { ...a, value: s.value } : a;
    }
    return a;
  });
}

function fits(s: Swap, key: string): boolean {
  const k = norm(key);
  const n = norm(s.name).replace(/\d+$/, '');
  return k !== '' && n !== '' && (k === n || k.includes(n));
}

function swapText(text: string, key: string, swaps: Swap[]): string {
  for (const s of swaps) {
    if (text === s.recorded && (s.recorded.length >= SHORT || fits(s, key))) return s.value;
  }
  let out = text;
  for (const s of swaps) if (s.recorded.length >= SHORT && out.includes(s.recorded)) out = out.split(s.recorded).join(s.value);
  return out;
}

/** A URL part decoded as a form field is (`+` is a space); undecodable text stays as it is. */
export function decodePart(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function swapUrl(raw: string, swaps: Swap[]): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return raw;
  }
  const segments = u.pathname.split('/').map((seg, i, all) => {
    const d = decodePart(seg);
    const prev = all[i - 1] ?? '';
    const n = swapText(d, decodePart(prev), swaps);
    return n === d ? seg : encodeURIComponent(n);
  });
  u.pathname = segments.join('/');
  if (u.search) {
    const parts = u.search.slice(1).split('&').map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const key = decodePart(pair.slice(0, eq));
      const v = decodePart(pair.slice(eq + 1));
      const n = swapText(v, key, swaps);
      return n === v ? pair : `${pair.slice(0, eq)}=${encodeURIComponent(n)}`;
    });
    u.search = parts.join('&');
  }
  if (u.hash) {
    const h = decodePart(u.hash.slice(1));
    const n = swapText(h, '', swaps);
    if (n !== h) u.hash = encodeURIComponent(n);
  }
  return u.href;
}

/** The actions as a browser run does them: this run's inputs in place, typed values as typed (secrets in clear: for memory only). */
export function typedActions(wf: Workflow, inputs: RunInputs): Action[] {
  return actionsWithInputs(wf, inputs).map((a) => {
    if (!a.input) return a;
    const v = inputs.get(a.input);
    return v === undefined || v === null ? a : { ...a, value: stringify(v) };
  });
}
