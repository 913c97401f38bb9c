import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Run, Workflow } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { clearPrefix, testPrefix } from '../helpers/prefix.js';
import { freePort } from '../helpers/redis-server.js';
import { api, isFinished, pollRun, recordFixtureWorkflow } from '../api/helpers.js';
import { CliProcess } from './processes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUNS = 200;

/**
 * One API process (`serve --no-worker`) and two `worker` processes on one Redis prefix, all real
 * CLI processes; the fixture site runs here. This is what "scale out" means to a user.
 */
describe('scale: one API process and two worker processes', function () {
  this.timeout(300_000);
  const prefix = testPrefix('scale');
  let site: FixtureSite;
  let apiProc: CliProcess;
  const workers: CliProcess[] = [];
  let base: string;
  let wf: Workflow;

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL,
    KEY_PREFIX: prefix,
    ALLOW_LOOPBACK_TARGETS: 'true',
    SECRET_KEY: 'a1'.repeat(32),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    // 200 runs are queued at once: lift the per-workflow bound and keep every run's record
    WORKFLOW_MAX_CONCURRENCY: '1000',
    RUN_HISTORY_LIMIT: '1000',
    ...extra,
  });
  const workerOf = (run: Run) => workers.find((w) => run.worker === `${hostname()}:${w.pid}`);

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    const port = await freePort();
    apiProc = new CliProcess('api', ['serve', '--no-worker'], env({ PORT: String(port), HOST: '127.0.0.1' }));
    for (const n of [1, 2]) workers.push(new CliProcess(`worker${n}`, ['worker'], env({ WORKER_CONCURRENCY: '8' })));
    const [m] = await Promise.all([apiProc.waitFor(/API listening on (http:\/\/\S+)/), ...workers.map((w) => w.waitFor(/worker started/))]);
    base = m[1]!;
    wf = await recordFixtureWorkflow(base, site, 'scale-out');
    // one run first, so that the 200 start from a logged-in session
    const warm = await api<Run>(base, `/v1/workflows/${wf.id}/runs`, { body: { mode: 'http', inputs: { title: 'warm-up' }, wait: 120 } });
    expect(warm.status, warm.text).to.equal(200);
    expect(warm.json.status, JSON.stringify(warm.json.error)).to.equal('succeeded');
  });

  after(async () => {
    await Promise.all([apiProc, ...workers].filter(Boolean).map((p) => p.stop('SIGTERM')));
    await clearPrefix(REDIS_URL, prefix);
    await site?.close();
  });

  it(`runs ${RUNS} runs; all succeed and both workers take part`, async () => {
    const itemsBefore = site.counters()['POST /api/items'] ?? 0;
    const tag = randomBytes(3).toString('hex');
    const titles = Array.from({ length: RUNS }, (_, i) => `scale ${tag} ${i}`);
    // Queue them all (wait 0), from 16 clients at a time.
    const ids: string[] = new Array(RUNS);
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < RUNS) {
          const i = next++;
          const a = await api<Run>(base, `/v1/workflows/${wf.id}/runs`, { body: { mode: 'http', inputs: { title: titles[i] }, wait: 0 } });
          expect(a.status, a.text).to.equal(202);
          ids[i] = a.json.id;
        }
      }),
    );
    // One list call per poll tells how many are done.
    let runs: Run[] = [];
    const until = Date.now() + 240_000;
    for (;;) {
      const list = await api<{ runs: Run[] }>(base, `/v1/workflows/${wf.id}/runs?limit=500`);
      runs = list.json.runs.filter((r) => ids.includes(r.id));
      if (runs.length === RUNS && runs.every(isFinished)) break;
      if (Date.now() > until) throw new Error(`after 240 s: ${runs.filter(isFinished).length}/${RUNS} finished`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const failed = runs.filter((r) => r.status !== 'succeeded');
    expect(failed.map((r) => r.error), 'failed runs').to.deep.equal([]);
    const byId = new Map(runs.map((r) => [r.id, r]));
    ids.forEach((id, i) => expect((byId.get(id)!.output?.body as { title: string }).title).to.equal(titles[i]));
    const perWorker = new Map<string, number>();
    for (const r of runs) perWorker.set(r.worker ?? '?', (perWorker.get(r.worker ?? '?') ?? 0) + 1);
    expect([...perWorker.keys()].sort(), JSON.stringify([...perWorker])).to.deep.equal(workers.map((w) => `${hostname()}:${w.pid}`).sort());
    expect(runs.every((r) => r.attempts === 1)).to.equal(true);
    expect((site.counters()['POST /api/items'] ?? 0) - itemsBefore).to.equal(RUNS);
    process.stderr.write(`      runs per worker: ${JSON.stringify(Object.fromEntries(perWorker))}\n`);
  });

  it('SIGKILL of the worker in the middle of a run: the other worker runs it again and it completes (attempts 2)', async () => {
    // How the run is caught in the middle: the site answers its search with 503 + Retry-After 60 s
    // once, so the run has sent requests and then sleeps in its retry inside the worker; that is
    // when the worker executing it is killed.
    const c0 = site.counters();
    site.failNext('GET /api/search', { status: 503, count: 1, retryAfterS: 60 });
    const title = `killed ${randomBytes(3).toString('hex')}`;
    const a = await api<Run>(base, `/v1/workflows/${wf.id}/runs`, { body: { mode: 'http', inputs: { title }, wait: 0 } });
    expect(a.status, a.text).to.equal(202);
    const mid = await pollRun(base, a.json.id, (r) => r.status === 'running' && (site.counters()['GET /api/search'] ?? 0) > (c0['GET /api/search'] ?? 0), 60_000, 100);
    expect(isFinished(mid)).to.equal(false);
    expect(mid.attempts).to.equal(1);
    const doomed = workerOf(mid);
    expect(doomed, `run.worker ${mid.worker} is one of the worker processes`).to.not.equal(undefined);
    const survivor = workers.find((w) => w !== doomed)!;

    const exit = await doomed!.stop('SIGKILL');
    expect(exit.signal).to.equal('SIGKILL');

    // The survivor's stalled check finds the dead worker's expired lock and runs the job again.
    const done = await pollRun(base, a.json.id, isFinished, 120_000, 250);
    expect(done.status, JSON.stringify(done.error)).to.equal('succeeded');
    expect(done.attempts).to.equal(2);
    expect(done.worker).to.equal(`${hostname()}:${survivor.pid}`);
    expect((done.output?.body as { title: string }).title).to.equal(title);
    const c1 = site.counters();
    // 503 once (first attempt, then killed while waiting), 200 once (second attempt)
    expect((c1['GET /api/search'] ?? 0) - (c0['GET /api/search'] ?? 0)).to.equal(2);
    // the first attempt died before its create: the item was created exactly once
    expect((c1['POST /api/items'] ?? 0) - (c0['POST /api/items'] ?? 0)).to.equal(1);
    expect(site.items().filter((i) => i.title === title)).to.have.length(1);
  });
});
