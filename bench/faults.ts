/**
 * bench/faults: runs that change state, with worker processes SIGKILLed at random points.
 * Real `replayfarm worker` processes (the compiled CLI) take runs from one Redis queue; each run
 * creates an item on a local site that counts what it created per run (the ground truth) and
 * reads it back. While the runs execute, a random worker is SIGKILLed every few hundred ms and
 * a new one started. Afterwards, per run: was it finished (lost otherwise), how many items did
 * the site create for it (more than one: an effect duplicated), and what did the run report.
 * Prints `name: value` lines: runs, kills, runs_lost, effects_duplicated, runs_failed_after_effect
 * (failed with an effect done, without saying outcome_unknown), outcome_unknown, runs_succeeded.
 * Usage: npm run bench -- faults [runs=48] [workers=3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLogger, createRedis, createRegistry, newId, RedisStore, type Run } from '../core/index.js';
import { RunQueue } from '../replayer/queue/index.js';
import { CounterSite, counterWorkflow } from '../test/fixtures/counter-site.js';

const RUNS = Number(process.argv[2] ?? 48);
const WORKERS = Number(process.argv[3] ?? 3);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CLI = fileURLToPath(new URL('../server/cli.js', import.meta.url));
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const out = (name: string, value: number) => process.stdout.write(`${name}: ${value}\n`);

const prefix = `rf-bench-faults-${randomBytes(4).toString('hex')}:`;
const workerEnv = {
  ...process.env,
  REDIS_URL,
  KEY_PREFIX: prefix,
  ALLOW_LOOPBACK_TARGETS: 'true',
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
  WORKER_CONCURRENCY: '2',
  WORKER_LOCK_MS: '1000',
  WORKER_STALLED_CHECK_MS: '300',
  // A run may outlive a few dead workers before it is given up.
  WORKER_MAX_STALLED: '3',
  WORKFLOW_MAX_CONCURRENCY: String(RUNS),
  RUN_HISTORY_LIMIT: String(Math.max(200, RUNS)),
};

function startWorker(): Promise<ChildProcess> {
  const p = spawn(process.execPath, [CLI, 'worker'], { env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
      if (/worker started/.test(text)) {
        p.stdout!.off('data', onData);
        p.stderr!.off('data', onData);
        p.stdout!.resume();
        p.stderr!.resume();
        resolve(p);
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${text.slice(-2000)}`)));
  });
}

async function main(): Promise<void> {
  const site = await new CounterSite().start();
  // Answers take a while: a kill often lands while a request is out.
  site.delayMs = 300;
  const redis = createRedis(REDIS_URL);
  const store = new RedisStore({ redis, prefix });
  const logger = createLogger({ silent: true });
  const registry = createRegistry({ defaultMetrics: false });
  const queue = new RunQueue({ redisUrl: REDIS_URL, prefix, store, logger, registry, workflowMaxConcurrency: RUNS, historyLimit: Math.max(200, RUNS) });
  await queue.start();
  const wf = counterWorkflow(site.url, newId('wf'));
  await store.put('workflow', wf.id, wf);

  log(`starting ${WORKERS} worker processes`);
  let workers = await Promise.all(Array.from({ length: WORKERS }, startWorker));
  const ids: string[] = [];
  const titles = new Map<string, string>();
  for (let i = 0; i < RUNS; i++) {
    const title = `run-${i}-${randomBytes(3).toString('hex')}`;
    const { run } = await queue.enqueue({ workflowId: wf.id, inputs: { title }, mode: 'http' });
    ids.push(run.id);
    titles.set(run.id, title);
  }
  log(`${RUNS} runs queued; killing a random worker every 150-600 ms`);

  let kills = 0;
  const finished = async (): Promise<number> => {
    let n = 0;
    for (const id of ids) {
      const r = await queue.get(id);
      if (r && (r.status === 'succeeded' || r.status === 'failed')) n++;
    }
    return n;
  };
  const until = Date.now() + 180_000;
  while (Date.now() < until) {
    const done = await finished();
    if (done === RUNS) break;
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
    if (done < RUNS * 0.8) {
      const i = Math.floor(Math.random() * workers.length);
      workers[i]!.kill('SIGKILL');
      kills++;
      workers = workers.filter((_, j) => j !== i);
      // The new one is not waited for: a kill may land while a worker is starting, too.
      const p = spawn(process.execPath, [CLI, 'worker'], { env: workerEnv, stdio: 'ignore' });
      workers.push(p);
    }
  }

  const runs = (await Promise.all(ids.map((id) => queue.get(id)))) as Array<Run | undefined>;
  let lost = 0;
  let duplicated = 0;
  let failedAfterEffect = 0;
  let unknown = 0;
  let succeeded = 0;
  for (const [i, run] of runs.entries()) {
    const effects = site.effects(titles.get(ids[i]!)!);
    if (effects > 1) duplicated += effects - 1;
    if (!run || (run.status !== 'succeeded' && run.status !== 'failed')) {
      lost++;
      continue;
    }
    if (run.status === 'succeeded') succeeded++;
    else if (run.error?.code === 'outcome_unknown') unknown++;
    else if (effects > 0) {
      failedAfterEffect++;
      log(`failed after its effect: ${run.id} ${run.error?.code} ${run.error?.message}`);
    }
  }
  out('runs', RUNS);
  out('kills', kills);
  out('runs_lost', lost);
  out('effects_duplicated', duplicated);
  out('runs_failed_after_effect', failedAfterEffect);
  out('outcome_unknown', unknown);
  out('runs_succeeded', succeeded);
  out('runs_failed_other', RUNS - lost - succeeded - unknown - failedAfterEffect);

  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
  await queue.close();
  await store.clear();
  await redis.quit();
  await site.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
