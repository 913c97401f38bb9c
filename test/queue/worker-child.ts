/**
 * A worker process for the stalled-job test: `node --import tsx test/queue/worker-child.ts`.
 * Env: REDIS_URL, PREFIX, TARGET_URL, WORKER_ID. Prints `ready` once it takes jobs.
 */
import { createLogger, createRedis, createRegistry, RedisStore } from '../../core/index.js';
import { RunQueue, RunWorker } from '../../replayer/queue/index.js';
import { httpExecutor } from './helpers.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const redis = createRedis(env('REDIS_URL'));
await new Promise((resolve) => redis.once('ready', resolve));
const store = new RedisStore({ redis, prefix: env('PREFIX') });
const logger = createLogger({ silent: true });
const registry = createRegistry({ defaultMetrics: false });
const queue = new RunQueue({ redisUrl: env('REDIS_URL'), prefix: env('PREFIX'), store, logger, registry });
const worker = new RunWorker({
  queue,
  execute: httpExecutor(() => env('TARGET_URL')),
  logger,
  registry,
  concurrency: 1,
  workerId: env('WORKER_ID'),
  lockDurationMs: 1000,
  stalledIntervalMs: 500,
});
await worker.start();
process.stdout.write('ready\n');

process.once('SIGTERM', async () => {
  await worker.close();
  await redis.quit();
});
