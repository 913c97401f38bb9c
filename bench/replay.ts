/**
 * bench/replay: the fixture site's workflow four ways, medians side by side in one run.
 *   (a) replayfarm, mode http, warm session      (b) a hand-written undici script, same requests
 *   (c) replayfarm, mode browser, warm pool       (d) the same in a cold browser (fresh launch)
 * (a) and (b) run against the demo site in this process (the site's work shares the core with the
 * client's: the strictest comparison, overhead_ratio), then against the site as a process of its
 * own, as a real target is (overhead_ratio_site_apart).
 * Figures as `name: value` lines on stdout; progress on stderr.
 * Usage: npm run bench -- replay [http_iterations] [browser_iterations]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
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

/** The site as a process of its own (as a real target is), printing its origin once listening. */
async function siteProcess(): Promise<{ url: string; stop: () => void }> {
  const self = fileURLToPath(import.meta.url);
  const serve = fileURLToPath(new URL(`../test/fixtures/site/serve.${self.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  const child = spawn(process.execPath, [...(self.endsWith('.ts') ? ['--import', 'tsx'] : []), serve], { env: { ...process.env, FIXTURE_POLL_MS: '60000' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`the site process exited (${code})`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * (a) and (b) against one site: 300 warm-up runs each, then `n` each, interleaved so that both
 * see the same machine load, in alternating order so that neither always runs right after the
 * other (its garbage, its cache footprint). Latencies in ms.
 */
async function compareHttp(replayer: Replayer, wf: ReturnType<typeof fixtureWorkflow>, site: Pick<FixtureSite, 'url'>, n: number, label: string) {
  const script = await handWritten(site as FixtureSite);
  try {
    ok(await replayer.run(wf, { mode: 'http' }), 'cold http run');
    // Long enough for the JIT to settle on both paths: short warm-ups measure compilation, not the code.
    for (let i = 0; i < 300; i++) {
      ok(await replayer.run(wf, { mode: 'http' }), 'warm-up run');
      await script.run('warm-up');
    }
    const a: number[] = [];
    const b: number[] = [];
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
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        await runA(i);
        await runB(i);
      } else {
        await runB(i);
        await runA(i);
      }
      if (i % 100 === 99) log(`http (${label}) ${i + 1}/${n}`);
    }
    return { a, b };
  } finally {
    await script.agent.close();
  }
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
  let apart: { url: string; stop: () => void } | undefined;
  try {
    log(`http mode: ${HTTP_N} runs each way against the site in this process, then against the site as its own process`);
    const { a, b } = await compareHttp(replayer, wf, site, HTTP_N, 'site in this process');
    apart = await siteProcess();
    const away = await compareHttp(replayer, fixtureWorkflow(apart.url, secretBox), { url: apart.url }, HTTP_N, 'site apart');

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
      // The same overhead in absolute terms: what replayfarm adds to a run, whatever the site costs.
      ['overhead_ms_p50', fmt(a50 - b50)],
      ['speedup_vs_browser', (c50 / a50).toFixed(1)],
      ['speedup_vs_cold_browser', (d50 / a50).toFixed(1)],
      ['http_p90_ms', fmt(quantile(a, 0.9))],
      ['undici_p90_ms', fmt(quantile(b, 0.9))],
      ['http_runs', String(a.length)],
      // The same comparison with the site as a process of its own, as a real target is: the site's
      // work no longer shares the event loop (and the core) with the client's.
      ['http_p50_ms_site_apart', fmt(quantile(away.a, 0.5))],
      ['undici_p50_ms_site_apart', fmt(quantile(away.b, 0.5))],
      ['overhead_ratio_site_apart', (quantile(away.a, 0.5) / quantile(away.b, 0.5)).toFixed(3)],
      ['browser_runs', String(c.length)],
    ];
    for (const [k, v] of lines) process.stdout.write(`${k}: ${v}\n`);
  } finally {
    apart?.stop();
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
