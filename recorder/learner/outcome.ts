import { jsonHolds, shownForms, type StepExpectation, type WorkflowInput } from '../../core/index.js';
import type { Chain } from './chains.js';
import { isTrivial } from './values.js';

function urlShows(u: string | undefined, v: string): boolean {
  if (!u) return false;
  if (u.includes(v) || u.includes(encodeURIComponent(v))) return true;
  try {
    return decodeURIComponent(u.replace(/\+/g, ' ')).includes(v);
  } catch {
    return false;
  }
}

/**
 * What "it worked" looked like for the inputs: those whose recorded value the recorded result
 * showed. Only values long and particular enough that a result showing them is no coincidence.
 */
export function outcomeOf(target: Chain, inputs: WorkflowInput[], used: Set<string>): StepExpectation['shows'] {
  const f = target.final;
  const body = f.status === 304 ? undefined : f.body;
  const out: NonNullable<StepExpectation['shows']> = [];
  let parsed: unknown;
  if (body && f.mime.includes('json')) {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
  }
  for (const i of inputs) {
    if (i.secret || i.default === undefined || !used.has(i.name)) continue;
    const v = String(i.default);
    if (v.length < 4 || isTrivial(v)) continue;
    if (body && (shownForms(v).some((x) => body.includes(x)) || (parsed !== undefined && jsonHolds(parsed, v)))) out.push({ input: i.name, where: 'body' });
    else if (urlShows(f.url?.href, v) || urlShows(f.location, v) || target.hops.some((h) => urlShows(h.url?.href, v))) out.push({ input: i.name, where: 'url' });
  }
  return out.length ? out : undefined;
}

