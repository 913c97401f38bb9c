import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createRedis, createRegistry, newId, RedisStore, type Run, type Workflow } from '../../core/index.js';
import { RunQueue } from '../../replayer/queue/index.js';
import { CounterSite, counterWorkflow } from '../fixtures/counter-site.js';
import { CliProcess } from '../scale/processes.js';
import { freePort, RedisServer } from '../helpers/redis-server.js';
import { openEnv, REDIS_URL } from './helpers.js';

/**
 * Effects happen once across worker deaths: real `replayfarm worker` processes run a real
 * workflow against a site that counts the items it created; one is SIGKILLed mid-run, another
 * takes the run up. The site's counter is the ground truth.
 */
describe('queue: a state-changing step is never sent twice when its worker dies', function () {
  this.timeout(120_000);
  let env: Awaited<ReturnType<typeof openEnv>>;
  let site: CounterSite;
  let queue: RunQueue;
  const procs: CliProcess[] = [];

  const worker = async (name: string, extra: Record<string, string> = {}): Promise<CliProcess> => {
    const p = new CliProcess(name, ['worker'], {
      REDIS_URL,
      KEY_PREFIX: env.prefix,
      ALLOW_LOOPBACK_TARGETS: 'true',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      WORKER_CONCURRENCY: '2',
      WORKER_LOCK_MS: '1000',
      WORKER_STALLED_CHECK_MS: '300',
      ...extra,
    });
    procs.push(p);
    await p.waitFor(/worker started/);
    return p;
  };

  const storeWorkflow = async (wf: Workflow): Promise<void> => {
    await env.store.put('workflow', wf.id, wf);
  };

  /** Runs one run: worker A gets it and is SIGKILLed when the held request arrives; worker B finishes it. */
  const killDuring = async (wf: Workflow, title: string, hold: (method: string, path: string) => boolean, bEnv: Record<string, string> = {}): Promise<Run> => {
    const a = await worker(`worker-a-${title}`);
    site.hold = (method, path, t) => hold(method, path) && (method === 'GET' || t === title);
    const held = site.nextHeld();
    const { run } = await queue.enqueue({ workflowId: wf.id, inputs: { title }, mode: 'http' });
    await held;
    await a.stop('SIGKILL');
    site.hold = () => false;
    const b = await worker(`worker-b-${title}`, bEnv);
    try {
      return await queue.waitFor(run.id, 60_000);
    } finally {
      await b.stop('SIGTERM');
    }
  };

  before(async () => {
    env = await openEnv();
    site = await new CounterSite().start();
    queue = await env.queue();
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await site?.close();
    await env?.close();
  });

  it('sent but unanswered when the worker died: outcome_unknown naming the step, not sent again', async () => {
    const wf = counterWorkflow(site.url, newId('wf'));
    await storeWorkflow(wf);
    const run = await killDuring(wf, 'unanswered', (m) => m === 'POST');
    expect(site.effects('unanswered'), 'items created').to.equal(1);
    expect(run.status).to.equal('failed');
    expect(run.attempts).to.equal(2);
    expect(run.error?.code, JSON.stringify(run.error)).to.equal('outcome_unknown');
    expect(run.error?.message).to.contain('s1 (POST /items)');
    expect(run.error?.details?.[0]).to.include({ path: 'steps.s1', state: 'sent' });
    // The finished run's journal is gone.
    expect(await env.redis.exists(env.store.key('journal', run.id))).to.equal(0);
  });

  it('answered before the worker died: the next execution reuses the answer and completes the run', async () => {
    const wf = counterWorkflow(site.url, newId('wf'));
    await storeWorkflow(wf);
    const run = await killDuring(wf, 'answered', (m) => m === 'GET');
    expect(site.effects('answered'), 'items created').to.equal(1);
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.attempts).to.equal(2);
    expect(run.steps.map((s) => s.status)).to.deep.equal(['reused', 'succeeded']);
    expect(run.output?.body).to.include({ title: 'answered' });
  });

  it('a step declared idempotent is sent again', async () => {
    const wf = counterWorkflow(site.url, newId('wf'));
    wf.steps[0]!.idempotent = true;
    await storeWorkflow(wf);
    const run = await killDuring(wf, 'idempotent', (m) => m === 'POST');
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(site.effects('idempotent'), 'sent again, as declared').to.equal(2);
  });

  it('a run given up after its worker died is outcome_unknown, never plain failed', async () => {
    const wf = counterWorkflow(site.url, newId('wf'));
    await storeWorkflow(wf);
    // The worker that finds the dead one's run may not take it up again: the run is given up.
    const run = await killDuring(wf, 'given-up', (m) => m === 'POST', { WORKER_MAX_STALLED: '0' });
    expect(site.effects('given-up')).to.equal(1);
    expect(run.status).to.equal('failed');
    expect(run.error?.code, JSON.stringify(run.error)).to.equal('outcome_unknown');
    expect(run.error?.message).to.match(/given up.*s1 \(POST \/items\)/);
  });

  it('Redis restarted (data kept) while a state-changing request is out: the run finishes and the step is not sent again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-redis-'));
    const server = new RedisServer(await freePort(), dir);
    await server.start();
    const redis = createRedis(server.url);
    redis.on('error', () => {}); // it is restarted on purpose
    const store = new RedisStore({ redis, prefix: env.prefix });
    const q = new RunQueue({ redisUrl: server.url, prefix: env.prefix, store, logger: createLogger({ silent: true }), registry: createRegistry({ defaultMetrics: false }) });
    let w: CliProcess | undefined;
    try {
      await q.start();
      await store.ping(10_000); // this test's own client connects on its own schedule
      const wf = counterWorkflow(site.url, newId('wf'));
      await store.put('workflow', wf.id, wf);
      w = await worker('worker-redis-restart', { REDIS_URL: server.url });
      site.hold = (method, _path, t) => method === 'POST' && t === 'redis-restart';
      const held = site.nextHeld();
      const { run } = await q.enqueue({ workflowId: wf.id, inputs: { title: 'redis-restart' }, mode: 'http' });
      const post = await held;
      await server.stop();
      await new Promise((r) => setTimeout(r, 1500)); // longer than the job lock
      await server.start();
      site.hold = () => false;
      post.release();
      // this test's own client reconnects on its own schedule: wait for it, not for the run
      for (const until = Date.now() + 15_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
        if (await store.call((r) => r.ping()).then(() => true, () => false)) break;
      }
      const done = await q.waitFor(run.id, 60_000);
      expect(site.effects('redis-restart'), 'items created').to.equal(1);
      expect(['succeeded', 'failed']).to.include(done.status);
      if (done.status === 'failed') expect(done.error?.code, JSON.stringify(done.error)).to.equal('outcome_unknown');
    } finally {
      await w?.stop('SIGKILL');
      await q.close().catch(() => {});
      redis.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
