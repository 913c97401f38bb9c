import type { Logger, RedisStore } from '../core/index.js';
import type { RunQueue, RunWorker } from '../replayer/index.js';

export interface QueueStarterOptions {
  store: RedisStore;
  logger: Logger;
  queue: RunQueue;
  /** Absent in an API-only process. */
  worker?: RunWorker;
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

  constructor(private readonly o: QueueStarterOptions) {}

  async start(): Promise<void> {
    const up = await this.o.store.ping(3000).then(
      () => true,
      () => false,
    );
    if (up && (await this.tryStart())) this.started = true;
    else this.retrying = this.retry();
  }

  /** Stops retrying (a start under way is let finish: stopped() waits for it). */
  stop(): void {
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
      }
    }
  }
}
