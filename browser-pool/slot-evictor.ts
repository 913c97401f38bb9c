import genericPool from 'generic-pool';
import type { Slot } from './pooled-browser.js';

// generic-pool's typings do not expose the Pool constructor that takes an evictor.
export const gp = genericPool as unknown as {
  Pool: new (evictor: unknown, deque: unknown, pq: unknown, factory: genericPool.Factory<Slot>, opts: genericPool.Options) => genericPool.Pool<Slot>;
  Deque: unknown;
  PriorityQueue: unknown;
  DefaultEvictor: new () => { evict(config: unknown, resource: { obj: Slot }, available: number): boolean };
};

/** Evicts idle slots of retired, crashed or failed browsers at once, other idle slots by age as usual. */
export class SlotEvictor extends gp.DefaultEvictor {
  override evict(config: unknown, resource: { obj: Slot }, available: number): boolean {
    const slot = resource.obj;
    if (slot.error || !slot.browser.usable) return true;
    return super.evict(config, resource, available);
  }
}

