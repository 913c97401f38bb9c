import type { Exchange } from './exchange.js';

/**
 * A request and the redirect hops the browser followed after it. The learner reasons about
 * chains, not entries: a replay sends `head` and its HTTP client follows the hops, so the values
 * a later step needs come from `final` (and Set-Cookie from any hop).
 */
export interface Chain {
  /** Position among chains, in HAR order. */
  pos: number;
  head: Exchange;
  hops: Exchange[];
  final: Exchange;
}

/**
 * Links each redirect to the next entry that requests its Location. Linear: pending redirects
 * wait in a map keyed by target URL. A 307/308 keeps its method; other redirects become GET.
 */
export function buildChains(exchanges: Exchange[]): Chain[] {
  const pending = new Map<string, Array<{ chain: Chain; method: string }>>();
  const chains: Chain[] = [];
  for (const ex of exchanges) {
    const key = ex.url?.href;
    const waiting = key ? pending.get(key) : undefined;
    const slot = waiting?.findIndex((w) => w.method === ex.method) ?? -1;
    let chain: Chain;
    if (waiting && slot >= 0) {
      chain = waiting[slot]!.chain;
      waiting.splice(slot, 1);
      if (waiting.length === 0) pending.delete(key!);
      chain.hops.push(ex);
      chain.final = ex;
    } else {
      chain = { pos: chains.length, head: ex, hops: [], final: ex };
      chains.push(chain);
    }
    if (ex.location && ex.status >= 300 && ex.status < 400 && ex.status !== 304 && chain.hops.length < 20) {
      const method = ex.status === 307 || ex.status === 308 ? ex.method : ex.method === 'HEAD' ? 'HEAD' : 'GET';
      const list = pending.get(ex.location) ?? [];
      list.push({ chain, method });
      pending.set(ex.location, list);
    }
  }
  return chains;
}

/** Every exchange of a chain, head first. */
export function chainExchanges(c: Chain): Exchange[] {
  return [c.head, ...c.hops];
}
