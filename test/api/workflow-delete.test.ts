import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { createLogger, type Redis, type Run, type Workflow } from '../../core/index.js';
import { Replayfarm } from '../../server/replayfarm.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api, pollRun, recordFixtureWorkflow } from './helpers.js';

/** Every key under `prefix` (the store's keys and bull's) whose name or value mentions `needle`, as "type key". */
async function mentions(redis: Redis, prefix: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (key.includes(needle)) {
        hits.push(`name ${key}`);
        continue;
      }
      const type = await redis.type(key);
      let values: Buffer[] = [];
      if (type === 'string') values = [(await redis.getBuffer(key)) ?? Buffer.alloc(0)];
      else if (type === 'hash') values = Object.values(await redis.hgetallBuffer(key));
      else if (type === 'list') values = await redis.lrangeBuffer(key, 0, -1);
      else if (type === 'set') values = await redis.smembersBuffer(key);
      else if (type === 'zset') values = await redis.zrangeBuffer(key, 0, -1);
      else if (type === 'stream') values = [Buffer.from(JSON.stringify(await redis.xrange(key, '-', '+')))];
      for (const v of values) {
        let text = v.toString('utf8');
        try {
          text += gunzipSync(v).toString('utf8'); // HAR blobs are stored gzipped
        } catch {
          /* not gzip */
        }
        if (text.includes(needle)) {
          hits.push(`${type} ${key}`);
          break;
        }
      }
    }
  } while (cursor !== '0');
  return hits;
}

/** A worker-only process on the app's Redis prefix (`replayfarm worker`), with its log lines kept. */
async function startWorker(app: TestApp): Promise<{ rf: Replayfarm; logs: () => string }> {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  const rf = new Replayfarm({
    env: {},
    api: false,
    logger: createLogger({ format: 'json', level: 'debug', stream }),
    config: { keyPrefix: app.rf.config.keyPrefix, port: 0, host: '127.0.0.1', allowLoopback: true },
  });
  await rf.start();
  return { rf, logs: () => text };
}

/**
 * DELETE /v1/workflows/:id takes what hangs off the workflow with it (issue 16, item 5): its runs
 * (records, indexes, bull jobs), its sessions under every name, the counters and keys named after
 * it, and its recording's link to it. Checked by scanning Redis for the workflow id afterwards.
 */
describe('api: deleting a workflow leaves nothing of it in Redis', function () {
  this.timeout(240_000);
  let site: FixtureSite;
  let app: TestApp;
  let worker: { rf: Replayfarm; logs: () => string } | undefined;
  let kept: Workflow;
  let keptRecording: string;
  const prefix = () => app.rf.config.keyPrefix;
  /** The bull job of a run (bull's prefix is the key prefix without its last colon; the queue is `runs`). */
  const bullKey = (runId: string) => `${prefix().replace(/:+$/, '')}:runs:${runId}`;

  const run = (wf: Workflow, body: Record<string, unknown>, headers: Record<string, string> = {}) => api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body: { mode: 'http', ...body }, headers });
  const title = () => `del ${randomBytes(3).toString('hex')}`;

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    // The API alone; workers are separate processes (as with `serve --no-worker` + `worker`), so a test can stop them.
    app = await startTestApp({}, { worker: false });
    worker = await startWorker(app);
    kept = await recordFixtureWorkflow(app.url, site, 'kept');
    keptRecording = kept.recordingId!;
  });
  after(async () => {
    await worker?.rf.close();
    await app?.close();
    await site?.close();
  });

  /** Another workflow to delete, learned again from the kept one's recording (no browser needed). */
  async function another(): Promise<Workflow> {
    const a = await api<{ workflow: Workflow }>(app.url, `/v1/recordings/${keptRecording}/learn`, { body: { target: 'POST /api/items', name: 'to delete' } });
    expect(a.status, a.text).to.equal(201);
    return a.json.workflow;
  }

  it('deletes its runs, jobs, sessions (every name), Idempotency-Keys and its recording link; the other workflow is untouched', async () => {
    const wf = await another();
    // the recording now names the workflow about to be deleted
    expect((await api(app.url, `/v1/recordings/${keptRecording}`)).json.workflowId).to.equal(wf.id);
    const runIds: string[] = [];
    for (const [body, headers] of [
      [{ inputs: { title: title() } }, {}],
      [{ inputs: { title: title() }, session: 'alice' }, {}],
      [{ inputs: { title: title() }, session: 'bob.2' }, { 'Idempotency-Key': 'k-1' }],
    ] as Array<[Record<string, unknown>, Record<string, string>]>) {
      const a = await run(wf, body, headers);
      expect(a.status, a.text).to.equal(200);
      expect(a.json.status, a.text).to.equal('succeeded');
      runIds.push(a.json.id);
    }
    const queued = await run(wf, { inputs: { title: title() }, wait: 0 });
    expect(queued.status, queued.text).to.equal(202);
    runIds.push(queued.json.id);
    expect((await pollRun(app.url, queued.json.id)).status).to.equal('succeeded');
    const keptRun = await run(kept, { inputs: { title: title() } });
    expect(keptRun.json.status, keptRun.text).to.equal('succeeded');

    const before = await mentions(app.rf.redis, prefix(), wf.id);
    // what there is to delete: sessions under three names, run records, their index, bull jobs, the Idempotency-Key
    expect(before.filter((h) => h.includes(`session:${wf.id}:`))).to.have.length(3);
    for (const id of runIds) expect(before.some((h) => h.endsWith(`run:${id}`)), id).to.equal(true);
    expect(before.some((h) => h.includes(`idem:${wf.id}:`))).to.equal(true);
    expect(before.filter((h) => h.startsWith('hash ') && h.includes(':runs:run_')).length).to.be.at.least(runIds.length);

    const del = await api(app.url, `/v1/workflows/${wf.id}`, { method: 'DELETE' });
    expect(del.status, del.text).to.equal(204);

    expect(await mentions(app.rf.redis, prefix(), wf.id)).to.deep.equal([]);
    expect((await api(app.url, `/v1/workflows/${wf.id}`)).status).to.equal(404);
    for (const id of runIds) expect((await api(app.url, `/v1/runs/${id}`)).status, id).to.equal(404);
    // the recording stays (it is not the workflow), without its link to the deleted one
    const rec = await api(app.url, `/v1/recordings/${keptRecording}`);
    expect(rec.status).to.equal(200);
    expect(rec.json.workflowId).to.equal(undefined);

    // the other workflow keeps its run and its session, and runs warm
    expect((await api<Run>(app.url, `/v1/runs/${keptRun.json.id}`)).json.status).to.equal('succeeded');
    expect(await app.rf.redis.exists(`${prefix()}session:${kept.id}:default`)).to.equal(1);
    const logins = site.counters()['POST /login'] ?? 0;
    const again = await run(kept, { inputs: { title: title() } });
    expect(again.json.status, again.text).to.equal('succeeded');
    expect(site.counters()['POST /login'] ?? 0).to.equal(logins);
  });

  it('a run queued when its workflow is deleted never runs, and the worker goes on with others', async () => {
    const wf = await another();
    const warm = await run(wf, { inputs: { title: title() } });
    expect(warm.json.status, warm.text).to.equal('succeeded');
    await worker!.rf.close();
    worker = undefined;
    const queued: string[] = [];
    for (let i = 0; i < 3; i++) {
      const a = await run(wf, { inputs: { title: title() }, wait: 0 });
      expect(a.status, a.text).to.equal(202);
      queued.push(a.json.id);
    }
    const del = await api(app.url, `/v1/workflows/${wf.id}`, { method: 'DELETE' });
    expect(del.status, del.text).to.equal(204);
    expect(await mentions(app.rf.redis, prefix(), wf.id)).to.deep.equal([]);

    const itemsBefore = site.counters()['POST /api/items'] ?? 0;
    worker = await startWorker(app);
    const after = await run(kept, { inputs: { title: title() } });
    expect(after.json.status, after.text).to.equal('succeeded');
    expect((site.counters()['POST /api/items'] ?? 0) - itemsBefore, 'only the kept workflow created an item').to.equal(1);
    expect(await mentions(app.rf.redis, prefix(), wf.id)).to.deep.equal([]);
    for (const id of queued) expect(worker.logs()).not.to.contain(id);
  });

  it('a run executing when its workflow is deleted ends without crashing the worker; what it leaves is swept once it ended', async () => {
    const wf = await another();
    const warm = await run(wf, { inputs: { title: title() } });
    expect(warm.json.status, warm.text).to.equal('succeeded');
    // the create step answers 503 with Retry-After: 3 once, so the run is still executing when the delete comes
    site.failNext('POST /api/items', { status: 503, count: 1, retryAfterS: 3 });
    const a = await run(wf, { inputs: { title: title() }, wait: 0, session: 'fresh' });
    expect(a.status, a.text).to.equal(202);
    await pollRun(app.url, a.json.id, (r) => r.status === 'running', 30_000);
    const del = await api(app.url, `/v1/workflows/${wf.id}`, { method: 'DELETE' });
    expect(del.status, del.text).to.equal(204);
    // its job is still held by the worker: the only trace left until the run ends
    const during = await mentions(app.rf.redis, prefix(), wf.id);
    expect(during.some((h) => h === `hash ${bullKey(a.json.id)}`), during.join('\n')).to.equal(true);
    expect(during.every((h) => h.includes(`:runs:${a.json.id}`) || h.includes(`session:${wf.id}:`)), during.join('\n')).to.equal(true);

    const until = Date.now() + 60_000;
    let left = during;
    while (left.length > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      left = await mentions(app.rf.redis, prefix(), wf.id);
    }
    expect(left).to.deep.equal([]);
    // the run ended in the worker (its result had nowhere to go), and the worker lives on
    expect(worker!.logs()).to.contain('result discarded');
    expect(worker!.logs()).not.to.match(/worker stopped|run crashed/);
    const after = await run(kept, { inputs: { title: title() } });
    expect(after.json.status, after.text).to.equal('succeeded');
    expect(await mentions(app.rf.redis, prefix(), wf.id)).to.deep.equal([]);
  });
});
