import type { Logger, RedisStore } from '../core/index.js';
import type { RunQueue, RunWorker } from '../replayer/index.js';
import { RedisWatch } from './redis-watch.js';

export interface QueueStarterOptions {
  store: RedisStore;
  logger: Logger;
  queue: RunQueue;
  /** Absent in an API-only process. */
  worker?: RunWorker;
  /** REDIS_URL, for messages (redacted); default: the store's client does not say, so `REDIS_URL`. */
  redisUrl?: string;
}

/**
 * Starts the run queue and the worker when Redis answers: at once when it is up (start()
 * resolves with both running), else in the background every 2 s, so that the API serves
 * meanwhile (/readyz and run calls say why).
 */
export class QueueStarter {
  private started = false;
  private stopping = false;
  private retrying?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private readonly watch: RedisWatch;

  constructor(private readonly o: QueueStarterOptions) {
    this.watch = new RedisWatch({ store: o.store, logger: o.logger, redisUrl: o.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  }

  async start(): Promise<void> {
    this.watch.start();
    const up = await this.o.store.ping(3000).then(
      () => true,
      (err: Error) => (this.watch.down(err), false),
    );
    if (up && (await this.tryStart())) {
      this.started = true;
      await this.watch.checkEviction();
    } else this.retrying = this.retry();
  }

  /** Stops retrying (a start under way is let finish: stopped() waits for it). */
  stop(): void {
    this.watch.stop();
    this.stopping = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  async stopped(): Promise<void> {
    await this.retrying;
  }

  /** Starts queue and worker within a bound; false (and both closed again) when Redis is not there. */
  private async tryStart(): Promise<boolean> {
    const { queue, worker } = this.o;
    const bounded = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('Redis did not answer within 10 s')), 10_000).unref())]);
    try {
      await bounded(queue.start());
      if (worker) await bounded(worker.start());
      return true;
    } catch (err) {
      this.o.logger.warn('run queue not started; retrying', { error: (err as Error).message });
      await worker?.close().catch(() => {});
      await queue.close().catch(() => {});
      return false;
    }
  }

  private async retry(): Promise<void> {
    while (!this.stopping && !this.started) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, 2000);
      });
      if (this.stopping) return;
      const up = await this.o.store.ping(1000).then(
        () => true,
        () => false,
      );
      if (up && (await this.tryStart())) {
        this.started = true;
        this.o.logger.info('run queue started');
        await this.watch.checkEviction();
      }
    }
  }
}
