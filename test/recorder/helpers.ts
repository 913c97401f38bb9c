import { randomBytes } from 'node:crypto';
import { BrowserPool, type Lease, type LeaseOptions } from '../../browser-pool/index.js';
import { createLogger, createRedis, createRegistry, RedisStore, SecretBox, type Redis, type Registry } from '../../core/index.js';
import { RecordingManager, type RecordingManagerOptions } from '../../recorder/index.js';
import { testPrefix } from '../helpers/prefix.js';

/**
 * Real Redis, a real BrowserPool and a RecordingManager. `leases` lists every lease the manager
 * took (the pool is wrapped only to observe them), so a test can reach the real window and its
 * cookies without going through the manager's API.
 */
export interface RecorderRig {
  redis: Redis;
  store: RedisStore;
  pool: BrowserPool;
  registry: Registry;
  secretBox: SecretBox;
  leases: Lease[];
  manager(opts?: Partial<RecordingManagerOptions>): RecordingManager;
  close(): Promise<void>;
}

export async function recorderRig(name: string): Promise<RecorderRig> {
  const logger = createLogger({ silent: true });
  const registry = createRegistry({ defaultMetrics: false });
  const redis = createRedis('redis://127.0.0.1:6379');
  if (redis.status !== 'ready') await new Promise((resolve, reject) => redis.once('ready', resolve).once('error', reject));
  const store = new RedisStore({ redis, prefix: testPrefix(name) });
  const pool = new BrowserPool({ logger, registry, max: 2, contextsPerBrowser: 4 });
  const secretBox = new SecretBox(randomBytes(32));
  const leases: Lease[] = [];
  const managers: RecordingManager[] = [];
  const observed = { lease: async (o?: LeaseOptions) => {
    const l = await pool.lease(o);
    leases.push(l);
    return l;
  } };
  return {
    redis,
    store,
    pool,
    registry,
    secretBox,
    leases,
    manager(opts = {}) {
      const m = new RecordingManager({
        pool: observed,
        store,
        logger,
        registry,
        secretBox,
        idleTimeoutMs: 120_000,
        maxDurationMs: 600_000,
        maxConcurrent: 4,
        harLimitBytes: 50 * 1024 * 1024,
        ...opts,
      });
      managers.push(m);
      return m;
    },
    async close() {
      await Promise.allSettled(managers.map((m) => m.close()));
      await pool.drain();
      await store.clear();
      redis.disconnect();
    },
  };
}
