import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { RunWorker } from '../../replayer/queue/index.js';
import { BullConnection } from '../../replayer/queue/bull-connection.js';
import { RunJournal } from '../../replayer/run-journal.js';
import { httpExecutor, openEnv, REDIS_URL, Target } from './helpers.js';

/**
 * enqueue.lua writes the bull job in the round trip that stores the run (no separate queue.add),
 * and the step that stores a finished run deletes its step journal: both must leave what bull and
 * the journal expect.
 */
describe('queue: the job written with the run (issue #17)', function () {
  this.timeout(60_000);
  let env: Awaited<ReturnType<typeof openEnv>>;
  let target: Target;
  let bull: BullConnection | undefined;
  let worker: RunWorker | undefined;

  before(async () => {
    target = await new Target().start();
  });
  beforeEach(async () => {
    env = await openEnv();
  });
  afterEach(async () => {
    await worker?.close();
    await bull?.close(true);
    worker = bull = undefined;
    await env.close();
  });
  after(async () => {
    await target.close();
  });

  it('is a bull job as queue.add would store it: data, attempts, backoff, kept-jobs limits', async () => {
    const queue = await env.queue({ attempts: 4, backoffMs: 250, keepCompletedJobs: 7, keepFailedJobs: 9 });
    // a version is the SHA-1 hex of the stored workflow JSON (enqueue.lua checks it)
    const raw = '{"id":"wf_job"}';
    await env.redis.set(env.store.key('workflow', 'wf_job'), raw);
    const v1 = createHash('sha1').update(raw).digest('hex');
    const { run } = await queue.enqueue({ workflowId: 'wf_job', inputs: { q: 'a' }, workflowVersion: v1 });
    bull = new BullConnection({ redisUrl: REDIS_URL, prefix: env.prefix });
    const job = await bull.queue.getJob(run.id);
    expect(job, 'job stored with the run').to.not.equal(null);
    expect(await job!.getState()).to.equal('waiting');
    expect(job!.data).to.deep.include({ runId: run.id, workflowId: 'wf_job', workflowVersion: v1 });
    expect(job!.data.run).to.deep.equal(run);
    expect(job!.opts).to.deep.include({ jobId: run.id, attempts: 4, removeOnComplete: 7, removeOnFail: 9, delay: 0 });
    expect(job!.opts.backoff).to.deep.equal({ type: 'exponential', delay: 250 });
    expect((await queue.counts()).waiting).to.equal(1);
  });

  it('goes to the paused list of a paused queue, and runs once it resumes', async () => {
    const queue = await env.queue();
    bull = new BullConnection({ redisUrl: REDIS_URL, prefix: env.prefix });
    await bull.queue.pause();
    const { run } = await queue.enqueue({ workflowId: 'wf_paused', inputs: { q: 'p' } });
    expect(await env.redis.llen(`${env.prefix}runs:paused`)).to.equal(1);
    expect(await env.redis.llen(`${env.prefix}runs:wait`)).to.equal(0);
    worker = new RunWorker({ queue, execute: httpExecutor(() => target.url), logger: env.logger, registry: env.registry });
    await worker.start();
    expect((await queue.waitFor(run.id, 300)).status).to.equal('queued');
    await bull.queue.resume();
    expect((await queue.waitFor(run.id, 20_000)).status).to.equal('succeeded');
  });

  it('a finished run has no step journal left once it is stored', async () => {
    const queue = await env.queue();
    const { run } = await queue.enqueue({ workflowId: 'wf_journal' });
    const key = RunJournal.key(env.store, run.id);
    const running = { ...run, status: 'running' as const, attempts: 1 };
    await queue.ledger.update(running);
    await env.redis.hset(key, 's1', '{"state":"answered"}');
    expect(await queue.ledger.saveIfCurrent({ ...running, steps: [] })).to.equal(true);
    expect(await env.redis.exists(key), 'kept while the run is not finished').to.equal(1);
    expect(await queue.ledger.saveIfCurrent({ ...running, status: 'succeeded' })).to.equal(true);
    expect(await env.redis.exists(key), 'deleted with the finished run').to.equal(0);
  });
});
