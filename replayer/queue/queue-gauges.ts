import { counter, DURATION_BUCKETS, gauge, histogram, type Registry } from '../../core/index.js';

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

/** A worker's metrics on `registry`: runs completed by status, time waited in the queue, webhook deliveries. */
export function workerMetrics(registry: Registry) {
  return {
    completed: counter(registry, {
      name: 'replayfarm_queue_runs_completed_total',
      help: 'Runs finished by queue workers, by final status',
      labelNames: ['status'] as const,
    }),
    waitTime: histogram(registry, {
      name: 'replayfarm_queue_wait_seconds',
      help: 'Time a run waited in the queue before a worker started it (first attempt)',
      buckets: DURATION_BUCKETS,
    }),
    webhooks: counter(registry, {
      name: 'replayfarm_webhook_deliveries_total',
      help: 'Webhook deliveries by outcome',
      labelNames: ['outcome'] as const,
    }),
  };
}
