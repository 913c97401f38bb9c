/**
 * bench/throughput: the fixture workflow in http mode through the full API (HTTP API → Bull queue
 * → worker → replayer, one in-process Replayfarm with its worker) at concurrency 1, 8 and 32, next
 * to the same runs called in-process (rf.replayer.run: no API, no queue), and the ratio between them.
 * Latency is what a caller waits: POST …/runs with `wait` until the finished run is answered, sent
 * by a keep-alive HTTP client (an undici Pool: what a service calling the API would use; fetch()
 * adds ~0.4 ms of its own per call on this machine, which is the client's cost, not the API's).
 * Beside them, at c1 and c8, the floor (bench/lib/floor.ts): an Express POST and a bull job with
 * nothing of ours in them, in the same process, and the best ratios they leave possible: a run
 * through the API is at least one of each on top of the run itself.
 * Figures as `name: value` lines on stdout; progress on stderr.
 * Usage: npm run bench -- throughput [runs_per_level=200] [warmup=300]
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import type { Run, Workflow } from '../core/index.js';
import { Replayfarm } from '../server/replayfarm.js';
import { startFixtureSite } from '../test/fixtures/site/index.js';
import { recordFixtureWorkflow } from '../test/api/helpers.js';
import { quantile } from './lib/stats.js';
import { drive } from './lib/drive.js';
import { startFloor, type FloorLevel } from './lib/floor.js';

const N = Number(process.argv[2] ?? 200);
const WARMUP = Number(process.argv[3] ?? 300);
const LEVELS = [1, 8, 32];
/** Where the floor is measured too: the levels the ratios are set at. */
const FLOOR_LEVELS = [1, 8];
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const out = (name: string, value: number) => process.stdout.write(`${name}: ${Number.isFinite(value) ? value.toFixed(value < 10 ? 3 : 1) : 'NaN'}\n`);


interface Level {
  runsPerS: number;
  p50: number;
  p99: number;
  /** Queue wait (createdAt → startedAt) of API runs, p50; absent in-process. */
  queueP50?: number;
}

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const site = await startFixtureSite({ pollIntervalMs: 60_000 });
  const rf = new Replayfarm({
    env: { REDIS_URL: redisUrl },
    config: {
      port: 0,
      host: '127.0.0.1',
      keyPrefix: `rf-bench-${randomBytes(4).toString('hex')}:`,
      allowLoopback: true,
      logLevel: 'warn',
      logFormat: 'json',
      // the API path must not be capped below the in-process concurrency it is compared with
      workerConcurrency: Math.max(...LEVELS),
      workflowMaxConcurrency: 4 * Math.max(...LEVELS),
      runHistoryLimit: 10_000,
    },
  });
  let closeClient = async (): Promise<void> => {};
  let closeFloor = async (): Promise<void> => {};
  try {
    const base = await rf.listen();
    log(`recording the fixture workflow through the API on ${base}`);
    const wf: Workflow = await recordFixtureWorkflow(base, site, 'bench throughput');
    const client = new Pool(base, { connections: Math.max(...LEVELS) });
    closeClient = () => client.close();
    const viaApi = async (title: string): Promise<Run> => {
      const res = await client.request({
        path: `/v1/workflows/${wf.id}/runs`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'http', inputs: { title }, wait: 60 }),
      });
      const text = await res.body.text();
      const run = JSON.parse(text) as Run;
      if (res.statusCode !== 200 || run.status !== 'succeeded') throw new Error(`API run failed: ${res.statusCode} ${text.slice(0, 500)}`);
      return run;
    };
    const inProcess = async (title: string): Promise<void> => {
      const r = await rf.replayer.run(wf, { mode: 'http', inputs: { title } });
      if (r.status !== 'succeeded') throw new Error(`in-process run failed: ${JSON.stringify(r.error)}`);
    };

    // Long enough for the JIT to settle on both paths (as in bench/replay): short warm-ups measure compilation.
    log(`warming up (${WARMUP} runs each way)`);
    for (let i = 0; i < WARMUP; i++) {
      await viaApi(`warm ${i}`);
      await inProcess(`warm ${i}`);
    }

    log(`warming up the floor (${WARMUP} each)`);
    const floor = await startFloor(redisUrl, WARMUP);
    closeFloor = () => floor.close();
    const floors: Record<number, FloorLevel> = {};

    const results: Record<string, Record<number, Level>> = { api: {}, inprocess: {} };
    for (const c of LEVELS) {
      const queueWait: number[] = [];
      const a = await drive(N, c, async (i) => {
        const run = await viaApi(`api c${c} ${i}`);
        if (run.startedAt) queueWait.push(Date.parse(run.startedAt) - Date.parse(run.createdAt));
      });
      results.api![c] = { runsPerS: (N / a.wallMs) * 1000, p50: quantile(a.ms, 0.5), p99: quantile(a.ms, 0.99), queueP50: quantile(queueWait, 0.5) };
      log(`api c${c}: ${results.api![c]!.runsPerS.toFixed(1)} runs/s, p50 ${results.api![c]!.p50.toFixed(1)} ms`);
      const p = await drive(N, c, (i) => inProcess(`inprocess c${c} ${i}`));
      results.inprocess![c] = { runsPerS: (N / p.wallMs) * 1000, p50: quantile(p.ms, 0.5), p99: quantile(p.ms, 0.99) };
      log(`in-process c${c}: ${results.inprocess![c]!.runsPerS.toFixed(1)} runs/s, p50 ${results.inprocess![c]!.p50.toFixed(1)} ms`);
      if (FLOOR_LEVELS.includes(c)) {
        floors[c] = await floor.measure(Math.max(N, 1000), c);
        log(`floor c${c}: bull job p50 ${floors[c]!.bullP50.toFixed(2)} ms, express POST p50 ${floors[c]!.expressP50.toFixed(2)} ms`);
      }
    }

    out('runs_per_level', N);
    for (const c of LEVELS) {
      const a = results.api![c]!;
      const p = results.inprocess![c]!;
      out(`api_runs_per_s_c${c}`, a.runsPerS);
      out(`api_p50_ms_c${c}`, a.p50);
      out(`api_p99_ms_c${c}`, a.p99);
      out(`api_queue_wait_p50_ms_c${c}`, a.queueP50!);
      out(`inprocess_runs_per_s_c${c}`, p.runsPerS);
      out(`inprocess_p50_ms_c${c}`, p.p50);
      out(`inprocess_p99_ms_c${c}`, p.p99);
      out(`ratio_runs_per_s_api_over_inprocess_c${c}`, a.runsPerS / p.runsPerS);
      out(`ratio_p50_api_over_inprocess_c${c}`, a.p50 / p.p50);
    }
    out('api_overhead_ms_p50', results.api![1]!.p50 - results.inprocess![1]!.p50);
    for (const c of FLOOR_LEVELS) {
      const f = floors[c]!;
      out(`floor_bull_job_p50_ms_c${c}`, f.bullP50);
      out(`floor_bull_jobs_per_s_c${c}`, f.bullPerS);
      out(`floor_express_post_p50_ms_c${c}`, f.expressP50);
      out(`floor_express_posts_per_s_c${c}`, f.expressPerS);
    }
    // a waited run: one POST, then one job, one after the other, then the run itself
    const f1 = floors[1]!;
    const p1 = results.inprocess![1]!;
    out('best_possible_ratio_p50_api_over_inprocess_c1', (p1.p50 + f1.bullP50 + f1.expressP50) / p1.p50);
    // a busy process: the seconds of one run, one job and one POST add up
    const f8 = floors[8]!;
    const p8 = results.inprocess![8]!;
    out('best_possible_ratio_runs_per_s_api_over_inprocess_c8', 1 / p8.runsPerS / (1 / p8.runsPerS + 1 / f8.bullPerS + 1 / f8.expressPerS));
  } finally {
    await closeClient().catch(() => {});
    await closeFloor().catch(() => {});
    await rf.store.clear().catch(() => {});
    await rf.close();
    await site.close();
  }
}

main().catch((err: unknown) => {
  log(`throughput bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
