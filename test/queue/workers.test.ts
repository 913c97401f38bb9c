import { expect } from 'chai';
import { RunWorker } from '../../replayer/queue/index.js';
import { httpExecutor, openEnv, reply, Target, type Received } from './helpers.js';

describe('queue: several workers, graceful close', function () {
  let env: Awaited<ReturnType<typeof openEnv>>;
  let target: Target;
  const workers: RunWorker[] = [];

  async function worker(queue: Awaited<ReturnType<typeof env.queue>>, extra: { workerId?: string; concurrency?: number; shutdownTimeoutMs?: number } = {}) {
    const w = new RunWorker({ queue, execute: httpExecutor(() => target.url), logger: env.logger, registry: env.registry, concurrency: 1, ...extra });
    await w.start();
    workers.push(w);
    return w;
  }

  before(async () => {
    target = await new Target().start();
  });
  beforeEach(async () => {
    env = await openEnv();
  });
  afterEach(async () => {
    target.onRequest = (r) => reply(r.res, 200, { ok: true });
    for (const r of target.received) reply(r.res, 200, { ok: true });
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await env.close();
  });
  after(async () => {
    await target.close();
  });

  it('two workers share the jobs: both execute some', async () => {
    // The target answers only once two requests are pending together. With concurrency 1 per
    // worker, two pending requests come from two different workers, so both must take part.
    const held: Received[] = [];
    target.onRequest = (r) => {
      held.push(r);
      if (held.length === 2) for (const h of held.splice(0)) reply(h.res, 200, { ok: true });
    };
    const queue = await env.queue();
    await worker(queue, { workerId: 'w1' });
    await worker(queue, { workerId: 'w2' });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await queue.enqueue({ workflowId: 'wf_share', inputs: { i } })).run.id);
    const runs = await Promise.all(ids.map((id) => queue.waitFor(id, 30_000)));
    expect(runs.map((r) => r.status)).to.deep.equal(Array(6).fill('succeeded'));
    const by = new Set(runs.map((r) => r.worker));
    expect([...by].sort()).to.deep.equal(['w1', 'w2']);
  });

  it('close() lets an in-flight run finish and takes no new job', async () => {
    let release!: () => void;
    target.onRequest = (r) => (release = () => reply(r.res, 200, { finished: 'during close' }));
    const queue = await env.queue();
    const w = await worker(queue, { workerId: 'w-close' });
    const arrived = target.next();
    const first = await queue.enqueue({ workflowId: 'wf_close' });
    await arrived;
    const second = await queue.enqueue({ workflowId: 'wf_close' });

    let closed = false;
    const closing = w.close().then(() => (closed = true));
    // close() must still be waiting on the in-flight run a moment later (negative check: no event to await)
    await new Promise((r) => setTimeout(r, 150));
    expect(closed).to.equal(false);
    release();
    await closing;

    const done = await queue.get(first.run.id);
    expect(done?.status).to.equal('succeeded');
    expect(done?.output?.body).to.deep.equal({ finished: 'during close' });
    expect((await queue.get(second.run.id))?.status).to.equal('queued');
    expect((await queue.counts()).waiting).to.equal(1);
    expect(target.received.filter((r) => r.path.includes(second.run.id))).to.have.length(0);
  });

  it('close() gives up on a run that outlasts shutdownTimeoutMs (aborting it); another worker then runs it', async () => {
    target.onRequest = () => {}; // never answers the first worker
    const queue = await env.queue();
    let aborted!: Promise<void>;
    const w = new RunWorker({
      queue,
      execute: (run, job) => {
        aborted = new Promise((resolve) => job.signal.addEventListener('abort', () => resolve()));
        return httpExecutor(() => target.url)(run, job);
      },
      logger: env.logger,
      registry: env.registry,
      concurrency: 1,
      workerId: 'w-stuck',
      shutdownTimeoutMs: 200,
      lockDurationMs: 1000,
      stalledIntervalMs: 500,
    });
    await w.start();
    const arrived = target.next();
    const { run } = await queue.enqueue({ workflowId: 'wf_stuck' });
    await arrived;
    await w.close();
    await aborted;
    // left for another worker, not failed
    expect((await queue.get(run.id))?.status).to.equal('running');

    target.onRequest = (r) => reply(r.res, 200, { ok: 'second worker' });
    const w2 = new RunWorker({
      queue,
      execute: httpExecutor(() => target.url),
      logger: env.logger,
      registry: env.registry,
      concurrency: 1,
      workerId: 'w-rescue',
      lockDurationMs: 1000,
      stalledIntervalMs: 500,
    });
    await w2.start();
    workers.push(w2);
    const done = await queue.waitFor(run.id, 30_000);
    expect(done.status).to.equal('succeeded');
    expect(done.worker).to.equal('w-rescue');
    expect(done.attempts).to.equal(2);
    expect(done.output?.body).to.deep.equal({ ok: 'second worker' });
  });
});
