import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createRedis, createRegistry, RedisStore, SecretBox, type HARFile, type Redis, type Registry, type Workflow } from '../../core/index.js';
import { BrowserPool, performAction } from '../../browser-pool/index.js';
import { learn } from '../../recorder/index.js';
import { Replayer, type ReplayerOptions } from '../../replayer/index.js';
import { fixtureFlow, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { testPrefix } from '../helpers/prefix.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A test file's fixture site, Redis store, browser pool and replayers; close() undoes it all. */
export async function openReplayerEnv(name: string) {
  const redis: Redis = createRedis(REDIS_URL);
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  const store = new RedisStore({ redis, prefix: testPrefix(name) });
  const logger = createLogger({ silent: true });
  const registry: Registry = createRegistry({ defaultMetrics: false });
  const pool = new BrowserPool({ logger, registry, max: 1, contextsPerBrowser: 2 });
  const secretBox = new SecretBox(randomBytes(32));
  const sites: FixtureSite[] = [];
  const replayers: Replayer[] = [];
  return {
    redis,
    store,
    logger,
    registry,
    pool,
    secretBox,
    async site(): Promise<FixtureSite> {
      const s = await startFixtureSite({ pollIntervalMs: 60_000 });
      sites.push(s);
      return s;
    },
    /** What a scripted recording does: drive a pooled browser through the fixture flow, record a HAR, learn. */
    async recordAndLearn(site: FixtureSite): Promise<Workflow> {
      const dir = mkdtempSync(join(tmpdir(), `rf-${name}-`));
      const path = join(dir, 'flow.har');
      try {
        const actions = fixtureFlow(site);
        const lease = await pool.lease({ recordHar: { path, content: 'embed' } });
        try {
          const page = await lease.context.newPage();
          for (const a of actions) await performAction(page, a, { timeoutMs: 30_000 });
        } finally {
          await lease.release();
        }
        return learn(JSON.parse(readFileSync(path, 'utf8')) as HARFile, { actions, sealSecret: (p) => secretBox.seal(p) });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    replayer(extra: Partial<ReplayerOptions> = {}): Replayer {
      const r = new Replayer({ store, pool, logger, registry, secretBox, allowLoopback: true, retries: { baseDelayMs: 20, maxDelayMs: 200 }, ...extra });
      replayers.push(r);
      return r;
    },
    async close(): Promise<void> {
      await Promise.allSettled(replayers.map((r) => r.close()));
      await pool.drain();
      await Promise.allSettled(sites.map((s) => s.close()));
      await store.clear();
      await redis.quit();
    },
  };
}

/** Counter of one route, 0 when never hit. */
export function hits(site: FixtureSite, route: string): number {
  return site.counters()[route] ?? 0;
}
