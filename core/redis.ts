import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/**
 * An ioredis client that fails fast while Redis is away (no offline queue, one retry per
 * command) and keeps reconnecting in the background, so /readyz answers 503 at once and
 * recovers by itself when Redis is back.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    ...opts,
  });
}
