/**
 * bench/replay: the fixture site's workflow four ways, medians side by side in one run.
 *   (a) replayfarm, mode http, warm session      (b) a hand-written undici script, same requests
 *   (c) replayfarm, mode browser, warm pool       (d) the same in a cold browser (fresh launch)
 * Figures as `name: value` lines on stdout; progress on stderr.
 * Usage: npm run bench -- replay [http_iterations] [browser_iterations]
 */
import { randomBytes } from 'node:crypto';
import { Agent } from 'undici';
import { createLogger, createRedis, createRegistry, RedisStore, SecretBox } from '../core/index.js';
import { BrowserPool } from '../browser-pool/index.js';
import { Replayer, type RunResult } from '../replayer/index.js';
import { startFixtureSite, type FixtureSite } from '../test/fixtures/site/index.js';
import { fixtureWorkflow } from '../test/replayer/fixture-workflow.js';
import { quantile } from './lib/stats.js';

const HTTP_N = Number(process.argv[2] ?? 300);
const BROWSER_N = Number(process.argv[3] ?? 7);
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 3 : 1) : 'NaN');

function ok(r: RunResult, what: string): void {
  if (r.status !== 'succeeded') throw new Error(`${what} failed: ${JSON.stringify(r.error)}`);
}

/** The same three requests (search, create, read back) a person would write with undici by hand. */
async function handWritten(site: FixtureSite) {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const origin = site.url;
  // Log in once, by hand, like the script's author would.
  const loginPage = await agent.request({ origin, path: '/login', method: 'GET' });
  const anon = /anon_id=([^;]+)/.exec(String(loginPage.headers['set-cookie']))![1]!;
  const csrfLogin = /name="_csrf" value="([^"]+)"/.exec(await loginPage.body.text())![1]!;
  const login = await agent.request({
    origin,
    path: '/login',
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `anon_id=${anon}` },
    body: new URLSearchParams({ _csrf: csrfLogin, return_to: '/app', username: 'alice', password: 's3cret-pass' }).toString(),
  });
  await login.body.dump();
  const sid = /sid=([^;]+)/.exec(String(login.headers['set-cookie']))![1]!;
  const cookie = `anon_id=${anon}; sid=${sid}`;
  const app = await agent.request({ origin, path: '/app', method: 'GET', headers: { cookie } });
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await app.body.text())![1]!;
  const json = { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest', 'accept-encoding': 'gzip, deflate, br', cookie };
  return {
    agent,
    async run(title: string): Promise<unknown> {
      const s = await agent.request({ origin, path: `/api/search?q=${encodeURIComponent('apple')}&limit=10`, method: 'GET', headers: json });
      if (s.statusCode !== 200) throw new Error(`search ${s.statusCode}`);
      await s.body.json();
      const c = await agent.request({ origin, path: '/api/items', method: 'POST', headers: { ...json, 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ title }) });
      if (c.statusCode !== 201) throw new Error(`create ${c.statusCode}`);
      const item = (await c.body.json()) as { id: string };
      const g = await agent.request({ origin, path: `/api/items/${encodeURIComponent(item.id)}`, method: 'GET', headers: json });
      if (g.statusCode !== 200) throw new Error(`read ${g.statusCode}`);
      return g.body.json();
    },
  };
}

async function main(): Promise<void> {
  const site = await startFixtureSite({ pollIntervalMs: 60_000 });
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  const store = new RedisStore({ redis, prefix: `rf-bench-${randomBytes(4).toString('hex')}:` });
  const logger = createLogger({ silent: true });
  const registry = createRegistry({ defaultMetrics: false });
  const secretBox = new SecretBox(randomBytes(32));
  const pool = new BrowserPool({ logger, registry, min: 1, max: 1 });
  const replayer = new Replayer({ store, pool, logger, registry, secretBox, allowLoopback: true });
  const wf = fixtureWorkflow(site.url, secretBox);
  const script = await handWritten(site);
  try {
    log(`warming up (${HTTP_N} http iterations, ${BROWSER_N} browser iterations each)`);
    ok(await replayer.run(wf, { mode: 'http' }), 'cold http run');
    // Long enough for the JIT to settle on both paths: short warm-ups measure compilation, not the code.
    for (let i = 0; i < 300; i++) {
      ok(await replayer.run(wf, { mode: 'http' }), 'warm-up run');
      await script.run('warm-up');
    }
    const a: number[] = [];
    const b: number[] = [];
    // Interleaved, so both see the same machine load, and in alternating order, so that neither
    // always runs right after the other (its garbage, its cache footprint).
    const runA = async (i: number) => {
      const t = performance.now();
      const r = await replayer.run(wf, { mode: 'http', inputs: { title: `bench ${i}` } });
      a.push(performance.now() - t);
      ok(r, 'http run');
      if (r.mode !== 'http' || r.steps[0]!.status !== 'reused') throw new Error('the http run did not reuse its session');
    };
    const runB = async (i: number) => {
      const t = performance.now();
      await script.run(`bench ${i}`);
      b.push(performance.now() - t);
    };
    for (let i = 0; i < HTTP_N; i++) {
      if (i % 2 === 0) {
        await runA(i);
        await runB(i);
      } else {
        await runB(i);
        await runA(i);
      }
      if (i % 100 === 99) log(`http ${i + 1}/${HTTP_N}`);
    }

    log('browser mode, warm pool');
    await pool.start();
    ok(await replayer.run(wf, { mode: 'browser' }), 'browser warm-up');
    const c: number[] = [];
    for (let i = 0; i < BROWSER_N; i++) {
      const t = performance.now();
      ok(await replayer.run(wf, { mode: 'browser', inputs: { title: `browser ${i}` } }), 'browser run');
      c.push(performance.now() - t);
      log(`browser warm ${i + 1}/${BROWSER_N}: ${c[i]!.toFixed(0)} ms`);
    }

    log('browser mode, cold browser (a fresh launch each run)');
    const d: number[] = [];
    for (let i = 0; i < BROWSER_N; i++) {
      const coldPool = new BrowserPool({ logger, registry, min: 0, max: 1 });
      const cold = new Replayer({ store, pool: coldPool, logger, registry, secretBox, allowLoopback: true });
      try {
        const t = performance.now();
        ok(await cold.run(wf, { mode: 'browser', inputs: { title: `cold ${i}` } }), 'cold browser run');
        d.push(performance.now() - t);
      } finally {
        await cold.close();
        await coldPool.drain();
      }
      log(`browser cold ${i + 1}/${BROWSER_N}: ${d[i]!.toFixed(0)} ms`);
    }

    const a50 = quantile(a, 0.5);
    const b50 = quantile(b, 0.5);
    const c50 = quantile(c, 0.5);
    const d50 = quantile(d, 0.5);
    const lines: Array<[string, string]> = [
      ['http_p50_ms', fmt(a50)],
      ['undici_p50_ms', fmt(b50)],
      ['browser_warm_p50_ms', fmt(c50)],
      ['browser_cold_p50_ms', fmt(d50)],
      ['overhead_ratio', (a50 / b50).toFixed(3)],
      ['speedup_vs_browser', (c50 / a50).toFixed(1)],
      ['speedup_vs_cold_browser', (d50 / a50).toFixed(1)],
      ['http_p90_ms', fmt(quantile(a, 0.9))],
      ['undici_p90_ms', fmt(quantile(b, 0.9))],
      ['http_runs', String(a.length)],
      ['browser_runs', String(c.length)],
    ];
    for (const [k, v] of lines) process.stdout.write(`${k}: ${v}\n`);
  } finally {
    await script.agent.close();
    await replayer.close();
    await pool.drain();
    await site.close();
    await store.clear();
    await redis.quit();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
