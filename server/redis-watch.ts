import { redactRedisUrl, type Logger, type RedisStore } from '../core/index.js';

export interface RedisWatchOptions {
  store: RedisStore;
  logger: Logger;
  /** REDIS_URL, named in messages (its password shown as ***). */
  redisUrl: string;
}

/**
 * Says what is wrong with Redis once, not at every reconnect: one line when it goes away (which
 * URL, what to do), one when it is back. At start it checks `maxmemory-policy`: bull's queue and
 * our records must never be evicted under memory pressure.
 */
export class RedisWatch {
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private unwatch?: () => void;
  private evictionChecked = false;
  private readonly url: string;

  constructor(private readonly o: RedisWatchOptions) {
    this.url = redactRedisUrl(o.redisUrl);
  }

  start(): void {
    this.unwatch ??= this.o.store.onConnection((state, err) => (state === 'up' ? this.up() : this.down(err)));
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  down(err?: Error): void {
    if (this.state === 'down') return;
    this.state = 'down';
    this.o.logger.warn(`Redis at ${this.url} is unreachable: start Redis there, or set REDIS_URL to a running one. Meanwhile calls that need it answer 503 redis_unavailable; reconnecting in the background`, {
      redisUrl: this.url,
      error: ((err as { cause?: Error } | undefined)?.cause ?? err)?.message,
    });
  }

  up(): void {
    if (this.state === 'down') this.o.logger.info(`Redis at ${this.url} is reachable again`, { redisUrl: this.url });
    this.state = 'up';
  }

  /**
   * Once per process: warns unless every server says `maxmemory-policy noeviction` (an evicted
   * bull key loses or wedges runs). Managed services may refuse CONFIG: then it says it could not tell.
   */
  async checkEviction(): Promise<void> {
    if (this.evictionChecked) return;
    this.evictionChecked = true;
    const policies = await this.o.store
      .call(async () => Promise.all(this.o.store.servers().map(async (s) => ((await s.config('GET', 'maxmemory-policy')) as string[])[1])))
      .catch((err: Error) => err);
    if (policies instanceof Error) {
      const cause = (policies as { cause?: Error }).cause?.message ?? policies.message;
      this.o.logger.warn(`could not check Redis's maxmemory-policy at ${this.url} (CONFIG GET refused: ${cause}): make sure it is noeviction, or queued runs may be evicted`, { redisUrl: this.url });
      return;
    }
    const bad = [...new Set(policies.filter((p) => p !== 'noeviction'))];
    if (bad.length) {
      this.o.logger.warn(`Redis at ${this.url} has maxmemory-policy ${bad.join(', ')}: under memory pressure it may evict queued runs and records. Set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction)`, { redisUrl: this.url, maxmemoryPolicy: bad.join(',') });
    }
  }
}
