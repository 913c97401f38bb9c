import { randomBytes } from 'node:crypto';
import { createRedis, RedisStore } from '../../core/index.js';

/** A Redis key prefix of a test's own, so tests never see each other's data. */
export function testPrefix(name = 'test'): string {
  return `rf-test-${name}-${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key under `prefix` (what a test's processes left in Redis), on a connection of its own. */
export async function clearPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis(redisUrl);
  try {
    const store = new RedisStore({ redis, prefix });
    await store.ping(10_000);
    await store.clear();
  } finally {
    redis.disconnect();
  }
}
