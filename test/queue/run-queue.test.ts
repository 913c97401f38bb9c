import { expect } from 'chai';
import { AppError, SecretBox, type Run } from '../../core/index.js';
import { RunWorker, type RunJobContext } from '../../replayer/queue/index.js';
import { httpExecutor, openEnv, reply, Target } from './helpers.js';

describe('queue: RunQueue + RunWorker', function () {
  let env: Awaited<ReturnType<typeof openEnv>>;
  let target: Target;
  const workers: RunWorker[] = [];

  async function worker(extra: Partial<ConstructorParameters<typeof RunWorker>[0]> & { queue: ConstructorParameters<typeof RunWorker>[0]['queue'] }) {
    const w = new RunWorker({ execute: httpExecutor(() => target.url), logger: env.logger, registry: env.registry, concurrency: 2, ...extra });
    await w.start();
    workers.push(w);
    return w;
  }

  // Each test has its own key prefix: jobs one test leaves queued never reach another's worker.
  before(async () => {
    target = await new Target().start();
  });
  beforeEach(async () => {
    env = await openEnv();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await env.close();
    target.onRequest = (r) => reply(r.res, 200, { ok: true, echo: JSON.parse(r.body || 'null') });
  });
  after(async () => {
    await target.close();
  });

  it('enqueues a run, a worker executes it over HTTP, waitFor returns the finished run', async () => {
    const queue = await env.queue();
    const { run, existing } = await queue.enqueue({ workflowId: 'wf_basic', inputs: { q: 'shoes' } });
    expect(existing).to.equal(false);
    expect(run.status).to.equal('queued');
    expect(run.attempts).to.equal(0);
    expect((await queue.get(run.id))?.status).to.equal('queued');

    await worker({ queue, workerId: 'w-basic' });
    const done = await queue.waitFor(run.id, 20_000);
    expect(done.status).to.equal('succeeded');
    expect(done.output?.body).to.deep.equal({ ok: true, echo: { q: 'shoes' } });
    expect(done.worker).to.equal('w-basic');
    expect(done.attempts).to.equal(1);
    expect(done.startedAt).to.be.a('string');
    expect(Date.parse(done.finishedAt!)).to.be.at.least(Date.parse(done.startedAt!));
    expect(done.durationMs).to.be.a('number');
    expect(target.received.some((r) => r.path.startsWith(`/run/${run.id}`))).to.equal(true);
    expect((await queue.list('wf_basic')).map((r) => r.id)).to.deep.equal([run.id]);
  });

  it('waitFor with a short wait returns the queued run, then the running run', async () => {
    const queue = await env.queue();
    const { run } = await queue.enqueue({ workflowId: 'wf_wait' });
    expect((await queue.waitFor(run.id, 30)).status).to.equal('queued');

    let release!: () => void;
    target.onRequest = (r) => (release = () => reply(r.res, 200, { late: true }));
    const arrived = target.next();
    await worker({ queue });
    await arrived;
    const mid = await queue.waitFor(run.id, 30);
    expect(mid.status).to.equal('running');
    expect(mid.attempts).to.equal(1);
    release();
    const done = await queue.waitFor(run.id, 20_000);
    expect(done.status).to.equal('succeeded');
    expect(done.output?.body).to.deep.equal({ late: true });
  });

  it('waitFor on an unknown run is not_found', async () => {
    const queue = await env.queue();
    const err = await queue.waitFor('run_nope', 10).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('not_found');
  });

  it('an idempotency key returns the same run for the same workflow, a new one for another', async () => {
    const queue = await env.queue();
    const a = await queue.enqueue({ workflowId: 'wf_idem', idempotencyKey: 'key-1', inputs: { n: 1 } });
    const b = await queue.enqueue({ workflowId: 'wf_idem', idempotencyKey: 'key-1', inputs: { n: 2 } });
    expect(b.existing).to.equal(true);
    expect(b.run.id).to.equal(a.run.id);
    expect(b.run.inputs).to.deep.equal({ n: 1 });
    const [c, d] = await Promise.all([
      queue.enqueue({ workflowId: 'wf_idem_other', idempotencyKey: 'key-1' }),
      queue.enqueue({ workflowId: 'wf_idem_other', idempotencyKey: 'key-1' }),
    ]);
    expect(c.run.id).to.equal(d.run.id);
    expect(c.run.id).to.not.equal(a.run.id);
    expect([c.existing, d.existing].sort()).to.deep.equal([false, true]);
    expect(await queue.list('wf_idem')).to.have.length(1);
    expect(await queue.list('wf_idem_other')).to.have.length(1);
  });

  it('past maxWaiting (no worker) enqueue fails with queue_full and a Retry-After', async () => {
    {
      const queue = await env.queue({ maxWaiting: 3, retryAfterSeconds: 7 });
      for (let i = 0; i < 3; i++) await queue.enqueue({ workflowId: `wf_full_${i}` });
      const err = await queue.enqueue({ workflowId: 'wf_full_x' }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(AppError);
      expect((err as AppError).code).to.equal('queue_full');
      expect((err as AppError).statusCode).to.equal(429);
      expect((err as AppError).retryAfter).to.equal(7);
      expect((await queue.counts()).waiting).to.equal(3);
      expect(await queue.list('wf_full_x')).to.deep.equal([]);
    }
  });

  it('limits runs of one workflow queued or running, and frees the slot when a run finishes', async () => {
    const queue = await env.queue({ workflowMaxConcurrency: 2 });
    const a = await queue.enqueue({ workflowId: 'wf_limit' });
    await queue.enqueue({ workflowId: 'wf_limit' });
    const err = await queue.enqueue({ workflowId: 'wf_limit' }).catch((e: unknown) => e);
    expect((err as AppError).code).to.equal('rate_limited');
    expect((err as AppError).retryAfter).to.be.greaterThan(0);
    // other workflows are not affected
    await queue.enqueue({ workflowId: 'wf_limit_other' });

    await worker({ queue });
    await queue.waitFor(a.run.id, 20_000);
    const again = await queue.enqueue({ workflowId: 'wf_limit' });
    expect(again.run.status).to.equal('queued');
  });

  it('limits runs of one workflow per minute when a rate is set', async () => {
    let t = Date.parse('2026-01-01T00:00:30Z');
    const queue = await env.queue({ workflowMaxPerMinute: 2, clock: () => t });
    await queue.enqueue({ workflowId: 'wf_rate' });
    await queue.enqueue({ workflowId: 'wf_rate' });
    const err = await queue.enqueue({ workflowId: 'wf_rate' }).catch((e: unknown) => e);
    expect((err as AppError).code).to.equal('rate_limited');
    expect((err as AppError).retryAfter).to.equal(30);
    await queue.enqueue({ workflowId: 'wf_rate_other' });
    t += 30_000; // next minute
    expect((await queue.enqueue({ workflowId: 'wf_rate' })).run.status).to.equal('queued');
    expect(await queue.list('wf_rate')).to.have.length(3);
  });

  it('keeps only historyLimit runs per workflow', async () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const queue = await env.queue({ historyLimit: 3, clock: () => (t += 1000) });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await queue.enqueue({ workflowId: 'wf_hist', idempotencyKey: i === 0 ? 'first' : undefined })).run.id);
    const listed = (await queue.list('wf_hist')).map((r) => r.id);
    expect(listed).to.deep.equal(ids.slice(2).reverse());
    expect(await queue.get(ids[0]!)).to.equal(undefined);
    expect(await queue.get(ids[1]!)).to.equal(undefined);
    // the idempotency key of a trimmed run no longer returns it: a new run is created
    const again = await queue.enqueue({ workflowId: 'wf_hist', idempotencyKey: 'first' });
    expect(again.existing).to.equal(false);
    expect(again.run.id).to.not.equal(ids[0]);
    ids.push(again.run.id);
    // the trimmed runs' jobs are dropped by the worker, the kept ones run
    await worker({ queue });
    for (const id of ids.slice(3)) expect((await queue.waitFor(id, 20_000)).status).to.equal('succeeded');
  });

  it('keeps secret inputs out of the run record, sealed in the job, and gives them to execute', async () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const queue = await env.queue({ secretBox: box });
    const { run } = await queue.enqueue({ workflowId: 'wf_secret', inputs: { user: 'ann', password: 'hunter2' }, secretInputs: ['password'] });
    expect(run.inputs).to.deep.equal({ user: 'ann' });
    // nothing under this test's prefix holds the secret in clear (run record and bull job alike)
    const keys = await env.redis.keys(env.prefix + '*');
    for (const k of keys) {
      const type = await env.redis.type(k);
      const text = type === 'string' ? await env.redis.get(k) : type === 'hash' ? JSON.stringify(await env.redis.hgetall(k)) : '';
      expect(text ?? '', k).to.not.contain('hunter2');
    }
    await worker({ queue });
    const done = await queue.waitFor(run.id, 20_000);
    expect(done.output?.body).to.deep.equal({ ok: true, echo: { user: 'ann', password: 'hunter2' } });
    expect(done.inputs).to.deep.equal({ user: 'ann' });
  });

  it('a failed run is a completed job; an exception is retried with backoff', async () => {
    const queue = await env.queue({ backoffMs: 20 });
    target.onRequest = (r) => reply(r.res, 500, { error: 'boom' });
    const failedRun = await queue.enqueue({ workflowId: 'wf_fail' });
    let calls = 0;
    const crashing = async (run: Run, job: RunJobContext): Promise<Partial<Run>> => {
      calls++;
      if (run.workflowId === 'wf_crash' && job.attempt === 1) throw new Error('executor crashed');
      return httpExecutor(() => target.url)(run, job);
    };
    await worker({ queue, execute: crashing });
    const failed = await queue.waitFor(failedRun.run.id, 20_000);
    expect(failed.status).to.equal('failed');
    expect(failed.error?.code).to.equal('target_error');
    expect(failed.attempts).to.equal(1);

    target.onRequest = (r) => reply(r.res, 200, { ok: true });
    const crash = await queue.enqueue({ workflowId: 'wf_crash' });
    const done = await queue.waitFor(crash.run.id, 20_000);
    expect(done.status).to.equal('succeeded');
    expect(done.attempts).to.equal(2);
    expect(calls).to.equal(3);
    expect((await queue.counts()).failed).to.equal(0);
  });

  it('a run whose executor always throws ends failed after `attempts` tries', async () => {
    const queue = await env.queue({ backoffMs: 10, attempts: 2 });
    let calls = 0;
    await worker({
      queue,
      execute: async () => {
        calls++;
        throw new Error('always');
      },
    });
    const { run } = await queue.enqueue({ workflowId: 'wf_always' });
    const done = await queue.waitFor(run.id, 20_000);
    expect(done.status).to.equal('failed');
    expect(done.error?.code).to.equal('internal');
    expect(done.attempts).to.equal(2);
    expect(calls).to.equal(2);
  });

  it('saveIfCurrent only lets the execution that owns a run write it', async () => {
    const queue = await env.queue();
    const { run } = await queue.enqueue({ workflowId: 'wf_fence' });
    const second: Run = { ...run, status: 'running', attempts: 2, worker: 'w-second' };
    await env.store.update('run', run.id, second);
    // a first execution that lost its job comes back late
    expect(await queue.ledger.saveIfCurrent({ ...run, status: 'succeeded', attempts: 1, worker: 'w-first' })).to.equal(false);
    expect((await queue.get(run.id))?.worker).to.equal('w-second');
    expect(await queue.ledger.saveIfCurrent({ ...second, status: 'succeeded' })).to.equal(true);
    // a finished run is not written again
    expect(await queue.ledger.saveIfCurrent({ ...second, status: 'failed' })).to.equal(false);
    expect((await queue.get(run.id))?.status).to.equal('succeeded');
    expect(await queue.ledger.saveIfCurrent({ ...second, id: 'run_missing' })).to.equal(false);
    expect(await queue.get('run_missing')).to.equal(undefined);
  });

  it('exposes queue gauges, the wait-time histogram and the completed counter', async () => {
    const queue = await env.queue();
    await queue.enqueue({ workflowId: 'wf_metrics_1' });
    await queue.enqueue({ workflowId: 'wf_metrics_2' });
    let text = await env.registry.metrics();
    expect(text).to.match(/replayfarm_queue_jobs\{state="waiting"\} 2/);
    expect(text).to.match(/replayfarm_queue_jobs\{state="active"\} 0/);
    await worker({ queue });
    const [a] = await queue.list('wf_metrics_1');
    await queue.waitFor(a!.id, 20_000);
    text = await env.registry.metrics();
    expect(text).to.match(/replayfarm_queue_wait_seconds_count \d+/);
    expect(text).to.match(/replayfarm_queue_runs_completed_total\{status="succeeded"\} \d+/);
  });
});
