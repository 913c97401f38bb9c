/**
 * bench/heal: a scripted sequence of runs under heal policy `auto` while the site changes under
 * the workflow, through the real API (one Replayfarm with its worker, the fixture site, real Redis,
 * real Chromium). Every SWITCH_EVERY runs the site moves its item endpoint, or moves it back (both
 * are changes the recorded HTTP workflow no longer fits: 4 changes in the default 200 runs, at 40,
 * 80, 120 and 160). Each
 * change costs one run in the browser; the heal makes the next ones HTTP again.
 *   http_hit_ratio   runs that needed no browser, over all runs (goal >= 0.95)
 *   heal_ms_p50      from the failed HTTP step to the verified candidate promoted: the browser run
 *                    (the run's fallback.ms) plus the heal after the run answered
 * The other kinds of change (renamed JSON field, new hidden form field, renamed CSRF
 * header, renamed login fields) are not switches of the fixture site yet: all 4 changes here are
 * the moved endpoint, one way and back.
 * Usage: npm run bench -- heal [runs=200] [switchEvery=50]
 */
import { randomBytes } from 'node:crypto';
import type { Run, Workflow } from '../core/index.js';
import { Replayfarm } from '../server/replayfarm.js';
import { startFixtureSite } from '../test/fixtures/site/index.js';
import { recordFixtureWorkflow } from '../test/api/helpers.js';
import { quantile } from './lib/stats.js';

const RUNS = Number(process.argv[2] ?? 200);
const SWITCH_EVERY = Number(process.argv[3] ?? 40);
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
    let moved = false;
    let http = 0;
    let wrong = 0;
    const heals: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i > 0 && i % SWITCH_EVERY === 0) {
        moved = !moved;
        site.moveItemsEndpoint(moved);
        log(`run ${i}: the site ${moved ? 'moves' : 'moves back'} its item endpoint`);
      }
      const title = `heal bench ${i}`;
      const run = await call<Run>(`/v1/workflows/${wf.id}/runs`, { inputs: { title }, wait: 120 });
      const answered = performance.now();
      if (run.status !== 'succeeded' || site.items().filter((x) => x.title === title).length !== 1) {
        wrong++;
        log(`run ${i} did not create its one item: ${run.status} ${JSON.stringify(run.error)}`);
      }
      if (run.mode === 'http') http++;
      else if (run.mode === 'browser') {
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
    out('site_changes', Math.floor((RUNS - 1) / SWITCH_EVERY));
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
