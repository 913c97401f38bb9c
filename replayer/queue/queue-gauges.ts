import { gauge, type Registry } from '../../core/index.js';

/** What the queue gauges read: job counts by state. */
export interface CountsSource {
  counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }>;
}

/** Started queues per registry: the gauge's collect() reads the newest. */
const live = new WeakMap<Registry, Set<CountsSource>>();

/**
 * `replayfarm_queue_jobs{state}` on `registry`, read from Redis at scrape time from the newest
 * started queue (every queue of a registry shares one Redis prefix). Returns the unregister call.
 */
export function registerQueueGauges(registry: Registry, queue: CountsSource): () => void {
  let set = live.get(registry);
  if (!set) live.set(registry, (set = new Set()));
  set.add(queue);
  gauge(registry, {
    name: 'replayfarm_queue_jobs',
    help: 'Run jobs in the queue by state (waiting, active, delayed, failed)',
    labelNames: ['state'] as const,
    async collect() {
      const q = [...(live.get(registry) ?? [])].at(-1);
      if (!q) return;
      try {
        const c = await q.counts();
        for (const [state, n] of Object.entries(c)) this.set({ state }, n);
      } catch {
        // Redis away: keep the last values rather than failing the whole scrape.
      }
    },
  });
  return () => live.get(registry)?.delete(queue);
}
