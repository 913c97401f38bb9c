import { isPlaceholder } from './values.js';
import type { Chain } from './chains.js';
import type { HardNoise, SoftNoise } from './noise.js';
import type { RequestModel, Slot } from './request-model.js';

/** Everything learned about the chains before pruning; shared by the selection and build stages. */
export interface Analysis {
  chains: Chain[];
  hard: Array<HardNoise | null>;
  soft: Array<SoftNoise | null>;
  /** Request model per chain (undefined for hard noise). */
  models: Array<RequestModel | undefined>;
  slots: Array<Slot[]>;
  /** Chains a chain needs: value sources and the first setter of each cookie it sends. */
  deps: Array<Set<number>>;
  /** Per chain, cookies it sent that no earlier response set. */
  jsCookies: Array<Array<{ name: string; value: string }>>;
}

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** First chain (not hard noise; soft noise only when nothing else) that set each cookie name. */
function firstSetters(chains: Chain[], hard: Analysis['hard'], soft: Analysis['soft']): Map<string, number> {
  const firm = new Map<string, number>();
  const weak = new Map<string, number>();
  for (const c of chains) {
    if (hard[c.pos]) continue;
    const target = soft[c.pos] ? weak : firm;
    for (const ex of [c.head, ...c.hops]) for (const ck of ex.setCookies) if (!target.has(ck.name)) target.set(ck.name, c.pos);
  }
  for (const [name, pos] of weak) if (!firm.has(name)) firm.set(name, pos);
  return firm;
}

/** Dependencies through values and cookies, and the cookies page script must have set. */
export function linkChains(a: Pick<Analysis, 'chains' | 'hard' | 'soft' | 'slots'>): Pick<Analysis, 'deps' | 'jsCookies'> {
  const setters = firstSetters(a.chains, a.hard, a.soft);
  // The first entry (any entry, noise included) whose response set each cookie name.
  const everSet = new Map<string, number>();
  for (const c of a.chains) for (const ex of [c.head, ...c.hops]) for (const ck of ex.setCookies) if (!everSet.has(ck.name)) everSet.set(ck.name, ex.index);
  // A HAR in which no response sets a cookie was stripped of Set-Cookie (a sanitized export): the
  // cookies its requests send came from the site, not from page script.
  const stripped = everSet.size === 0;
  const deps: Analysis['deps'] = [];
  const jsCookies: Analysis['jsCookies'] = [];
  for (const c of a.chains) {
    const d = new Set<number>();
    const js: Array<{ name: string; value: string }> = [];
    if (!a.hard[c.pos]) {
      for (const s of a.slots[c.pos]!) if (s.res.kind === 'extract') d.add(s.res.ref.chain);
      for (const ck of c.head.reqCookies) {
        const setter = setters.get(ck.name);
        if (setter !== undefined && setter < c.pos) d.add(setter);
        const first = everSet.get(ck.name);
        if (!stripped && !isPlaceholder(ck.value) && (first === undefined || first >= c.head.index)) js.push(ck);
      }
    }
    deps.push(d);
    jsCookies.push(js);
  }
  return { deps, jsCookies };
}

/** All chains reachable from `seeds` through dependencies. */
export function closure(seeds: Iterable<number>, deps: Analysis['deps']): Set<number> {
  const out = new Set<number>();
  const stack = [...seeds];
  while (stack.length) {
    const p = stack.pop()!;
    if (out.has(p)) continue;
    out.add(p);
    for (const d of deps[p]!) if (!out.has(d)) stack.push(d);
  }
  return out;
}
