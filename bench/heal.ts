/**
 * bench/heal: a scripted sequence of runs under heal policy `auto` while the site changes under
 * the workflow, through the real API (one Replayfarm with its worker, the fixture site, real Redis,
 * real Chromium). Every SWITCH_EVERY runs the site ships one more release (they add up), each of
 * another kind: the item endpoint moves, the CSRF header is renamed, the login form's fields are
 * renamed, the login form gets a required hidden field (the login changes come with every session
 * revoked, as releases that touch the login do, so the next run must log in). 4 changes in the
 * default 200 runs, at 40, 80, 120 and 160. Each costs one run in the browser; the heal makes the
 * next ones HTTP again.
 *   http_hit_ratio   runs that needed no browser (an HTTP re-login counts as none), over all runs (goal >= 0.95)
 *   heal_ms_p50      from the failed HTTP step to the verified candidate promoted: the browser run
 *                    (the run's fallback.ms) plus the heal after the run answered
 * Usage: npm run bench -- heal [runs=200] [switchEvery=40]
 */
import { randomBytes } from 'node:crypto';
import type { Run, Workflow } from '../core/index.js';
import { Replayfarm } from '../server/replayfarm.js';
import { startFixtureSite, type FixtureSite } from '../test/fixtures/site/index.js';
import { recordFixtureWorkflow } from '../test/api/helpers.js';
import { quantile } from './lib/stats.js';

const RUNS = Number(process.argv[2] ?? 200);
const SWITCH_EVERY = Number(process.argv[3] ?? 40);
/** The site's releases in order: what changes, and whether it touches the login (sessions revoked). */
const RELEASES: Array<{ what: string; apply(site: FixtureSite): void; login: boolean }> = [
  { what: 'moves its item endpoint', apply: (site) => site.moveItemsEndpoint(true), login: false },
  { what: 'renames its CSRF header', apply: (site) => site.release({ csrfHeader: 'X-XSRF-Token' }), login: false },
  { what: "renames its login form's fields", apply: (site) => site.release({ loginFields: { username: 'login[name]', password: 'login[pass]' } }), login: true },
  { what: 'adds a required hidden field to its login form', apply: (site) => site.release({ loginFormBuildId: true }), login: true },
];

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const out = (name: string, value: number) => process.stdout.write(`${name}: ${Number.isFinite(value) ? value.toFixed(value < 10 ? 3 : 1) : 'NaN'}\n`);

async function main(): Promise<void> {
  const site = await startFixtureSite({ pollIntervalMs: 60_000 });
  const rf = new Replayfarm({
    env: { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    config: { port: 0, host: '127.0.0.1', keyPrefix: `rf-bench-heal-${randomBytes(4).toString('hex')}:`, allowLoopback: true, logLevel: 'warn', logFormat: 'json', runHistoryLimit: 10_000 },
  });
  try {
    const base = await rf.listen();
    const call = async <T>(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<T> => {
      const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return (await res.json()) as T;
    };
    log('recording the fixture workflow through the API');
    const wf: Workflow = await recordFixtureWorkflow(base, site, 'bench heal');
    await call(`/v1/workflows/${wf.id}`, { heal: 'auto' }, 'PATCH');
    let released = 0;
    let http = 0;
    let wrong = 0;
    const heals: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i > 0 && i % SWITCH_EVERY === 0 && released < RELEASES.length) {
        const r = RELEASES[released++]!;
        r.apply(site);
        if (r.login) site.revokeAllSessions();
        log(`run ${i}: the site ${r.what}${r.login ? ' (sessions revoked)' : ''}`);
      }
      const title = `heal bench ${i}`;
      const run = await call<Run>(`/v1/workflows/${wf.id}/runs`, { inputs: { title }, wait: 120 });
      const answered = performance.now();
      if (run.status !== 'succeeded' || site.items().filter((x) => x.title === title).length !== 1) {
        wrong++;
        log(`run ${i} did not create its one item: ${run.status} ${JSON.stringify(run.error)}`);
      }
      if (!run.fallback?.browser) http++;
      if (run.mode === 'browser') {
        const before = run.version ?? 1;
        for (;;) {
          const v = await call<{ current: number }>(`/v1/workflows/${wf.id}/versions`);
          if (v.current > before) break;
          if (performance.now() - answered > 60_000) throw new Error(`run ${i}: no heal within 60 s`);
          await new Promise((r) => setTimeout(r, 20));
        }
        const after = performance.now() - answered;
        heals.push((run.fallback?.ms ?? 0) + after);
        log(`run ${i}: browser (${run.fallback?.reason}) in ${run.fallback?.ms} ms; healed ${Math.round(after)} ms after it answered`);
      }
    }
    out('runs', RUNS);
    out('site_changes', released);
    out('heals', heals.length);
    out('http_hit_ratio', http / RUNS);
    out('heal_ms_p50', quantile(heals, 0.5));
    out('heal_ms_max', heals.length ? Math.max(...heals) : NaN);
    out('runs_wrong', wrong);
  } finally {
    site.moveItemsEndpoint(false);
    await rf.close();
    await site.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench heal failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
