import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Run, Workflow } from '../../core/index.js';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../replayer/queue/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api, isFinished, pollRun, recordFixtureWorkflow } from './helpers.js';

const PASSWORD = 's3cret-pass'; // alice's password on the fixture site: must never come back
const WEBHOOK_SECRET = `whsec-${randomBytes(8).toString('hex')}`;

interface Hook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on 127.0.0.1 that keeps every call and answers 200. */
async function startReceiver(): Promise<{ url: string; calls: Hook[]; next(): Promise<Hook>; close(): Promise<void> }> {
  const calls: Hook[] = [];
  let waiters: Array<(h: Hook) => void> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      calls.push(hook);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      const w = waiters;
      waiters = [];
      w.forEach((f) => f(hook));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    calls,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('api: running workflows through the real API (fixture site, Redis, worker)', function () {
  this.timeout(180_000);
  let site: FixtureSite;
  let app: TestApp;
  let wf: Workflow;
  /** Every response text of this file, to look for the password in. */
  const seen: string[] = [];
  /** Ids of the runs this file created, in creation order. */
  const created: string[] = [];

  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const a = await api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body, headers });
    seen.push(a.text);
    if (a.status === 200 || a.status === 202) created.push(a.json.id);
    return a;
  };
  const count = (route: string) => site.counters()[route] ?? 0;

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    app = await startTestApp({ webhookSecret: WEBHOOK_SECRET });
    wf = await recordFixtureWorkflow(app.url, site, 'api runs');
    expect(wf.inputs.map((i) => i.name)).to.include.members(['username', 'password', 'query', 'title']);
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });

  it('sync run: 200 with the finished run and the created item as its output', async () => {
    const title = `sync ${randomBytes(3).toString('hex')}`;
    const a = await post({ inputs: { title }, mode: 'http' });
    expect(a.status, a.text).to.equal(200);
    const run = a.json;
    expect(run.status).to.equal('succeeded');
    expect(run.workflowId).to.equal(wf.id);
    expect(run.mode).to.equal('http');
    expect(run.attempts).to.equal(1);
    expect(run.steps.map((s) => s.id)).to.deep.equal(wf.steps.map((s) => s.id));
    expect(run.output?.status).to.equal(200);
    const item = run.output?.body as { id: string; title: string; owner: string };
    expect(item).to.include({ title, owner: 'alice' });
    expect(site.items().map((i) => i.id)).to.include(item.id);
    expect(a.headers.get('location')).to.equal(`/v1/runs/${run.id}`);
    const again = await api<Run>(app.url, `/v1/runs/${run.id}`);
    seen.push(again.text);
    expect(again.json).to.deep.include({ id: run.id, status: 'succeeded', output: run.output });
  });

  it('async run: wait 0 → 202 queued, then GET /v1/runs/:id until it finished', async () => {
    const title = `async ${randomBytes(3).toString('hex')}`;
    const a = await post({ inputs: { title }, mode: 'http', wait: 0 });
    expect(a.status, a.text).to.equal(202);
    expect(a.json.status).to.equal('queued');
    expect(a.headers.get('location')).to.equal(`/v1/runs/${a.json.id}`);
    const run = await pollRun(app.url, a.json.id);
    seen.push(JSON.stringify(run));
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect((run.output?.body as { title: string }).title).to.equal(title);
    expect(run.finishedAt).to.be.a('string');
    expect(run.durationMs).to.be.a('number');
    const missing = await api(app.url, '/v1/runs/run_does_not_exist');
    expect(missing.status).to.equal(404);
    expect(missing.json.error.code).to.equal('not_found');
  });

  it('invalid inputs: 400 invalid_input naming each bad field, and no run is queued', async () => {
    const before = await api<{ runs: Run[] }>(app.url, `/v1/workflows/${wf.id}/runs?limit=500`);
    const a = await post({ inputs: { nope: 'x', title: 42, query: true }, mode: 'http' });
    expect(a.status, a.text).to.equal(400);
    expect(a.json).to.have.nested.property('error.code', 'invalid_input');
    const details = (a.json as unknown as { error: { details: Array<{ path: string; message: string }> } }).error.details;
    expect(details.map((d) => d.path)).to.have.members(['inputs.nope', 'inputs.title', 'inputs.query']);
    expect(details.find((d) => d.path === 'inputs.title')!.message).to.match(/string/);
    expect(details.find((d) => d.path === 'inputs.nope')!.message).to.match(/unknown/);

    const badMode = await post({ mode: 'teleport', inputs: {} });
    expect(badMode.status, badMode.text).to.equal(400);
    expect(badMode.text).to.contain('mode');

    const after = await api<{ runs: Run[] }>(app.url, `/v1/workflows/${wf.id}/runs?limit=500`);
    expect(after.json.runs.length).to.equal(before.json.runs.length);
  });

  it('Idempotency-Key: two calls (at the same time) → one run, the item created once', async () => {
    const key = `idem-${randomBytes(6).toString('hex')}`;
    const title = `idem ${randomBytes(3).toString('hex')}`;
    const itemsBefore = count('POST /api/items');
    const [a, b] = await Promise.all([post({ inputs: { title }, mode: 'http' }, { 'Idempotency-Key': key }), post({ inputs: { title }, mode: 'http' }, { 'Idempotency-Key': key })]);
    expect([a.status, b.status], a.text + b.text).to.deep.equal([200, 200]);
    expect(b.json.id).to.equal(a.json.id);
    const third = await post({ inputs: { title }, mode: 'http' }, { 'Idempotency-Key': key });
    expect(third.status).to.equal(200);
    expect(third.json.id).to.equal(a.json.id);
    expect(third.json.status).to.equal('succeeded');
    expect(count('POST /api/items') - itemsBefore).to.equal(1);
    expect(site.items().filter((i) => i.title === title)).to.have.length(1);
    // a different key is a different run
    const other = await post({ inputs: { title }, mode: 'http' }, { 'Idempotency-Key': `${key}-2` });
    expect(other.json.id).not.to.equal(a.json.id);
    expect(count('POST /api/items') - itemsBefore).to.equal(2);
  });

  it('webhook: the finished run is POSTed, signed with HMAC-SHA256 of the body', async () => {
    const receiver = await startReceiver();
    try {
      const delivered = receiver.next();
      const a = await post({ inputs: { title: 'hooked' }, mode: 'http', wait: 0, webhook: receiver.url });
      expect(a.status, a.text).to.equal(202);
      const hook = await delivered;
      seen.push(hook.body);
      const signature = hook.headers[SIGNATURE_HEADER.toLowerCase()];
      expect(signature).to.be.a('string').and.match(/^sha256=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(hook.body, signature as string, WEBHOOK_SECRET)).to.equal(true);
      expect(verifyWebhookSignature(hook.body, signature as string, `${WEBHOOK_SECRET}x`)).to.equal(false);
      expect(verifyWebhookSignature(hook.body.replace('hooked', 'hacked'), signature as string, WEBHOOK_SECRET)).to.equal(false);
      const payload = JSON.parse(hook.body) as Run;
      expect(payload).to.include({ id: a.json.id, workflowId: wf.id, status: 'succeeded' });
      expect((payload.output?.body as { title: string }).title).to.equal('hooked');
      // the delivery outcome is recorded on the run
      const run = await pollRun(app.url, a.json.id, (r) => r.webhook?.status !== undefined);
      expect(run.webhook).to.deep.equal({ url: receiver.url, status: 200 });
      expect(receiver.calls).to.have.length(1);
    } finally {
      await receiver.close();
    }
  });

  it('secret inputs never appear in a run, a response, a webhook or a log line', async () => {
    // A session of its own, so the login step really sends the password given here.
    const a = await post({ inputs: { username: 'alice', password: PASSWORD, title: 'with secret' }, mode: 'http', session: `s-${randomBytes(3).toString('hex')}` });
    expect(a.status, a.text).to.equal(200);
    expect(a.json.status, JSON.stringify(a.json.error)).to.equal('succeeded');
    const login = wf.steps.find((s) => s.description.startsWith('POST /login'))!;
    expect(a.json.steps.find((s) => s.id === login.id)?.status, 'logged in with it').to.equal('succeeded');
    expect(a.json.inputs).to.deep.equal({ username: 'alice', title: 'with secret' });
    const list = await api(app.url, `/v1/workflows/${wf.id}/runs?limit=500`);
    const one = await api(app.url, `/v1/runs/${a.json.id}`);
    const wfText = await api(app.url, `/v1/workflows/${wf.id}`);
    seen.push(list.text, one.text, wfText.text);
    for (const text of seen) expect(text).not.to.contain(PASSWORD);
    expect(app.logs()).to.have.length.above(0);
    expect(app.logs()).not.to.contain(PASSWORD);
    // nor at rest: run records, bull job data, sessions, recordings (secrets are sealed or absent)
    const redis = app.rf.redis;
    let cursor = '0';
    let keys = 0;
    do {
      const [nextCursor, batch] = await redis.scan(cursor, 'MATCH', `${app.rf.config.keyPrefix}*`, 'COUNT', 500);
      cursor = nextCursor;
      for (const key of batch) {
        keys++;
        const type = await redis.type(key);
        const value =
          type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'list' ? JSON.stringify(await redis.lrange(key, 0, -1)) : type === 'zset' ? JSON.stringify(await redis.zrange(key, 0, -1)) : type === 'set' ? JSON.stringify(await redis.smembers(key)) : '';
        expect(value ?? '', key).not.to.contain(PASSWORD);
      }
    } while (cursor !== '0');
    expect(keys).to.be.greaterThan(10);
  });

  it('with the search step as output, the run answers the search results', async () => {
    const marker = `zebra${randomBytes(3).toString('hex')}`;
    const made = await post({ inputs: { title: `${marker} one` }, mode: 'http' });
    expect(made.json.status).to.equal('succeeded');
    const search = wf.steps.find((s) => s.description.startsWith('GET /api/search'))!;
    const patched = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { output: { step: search.id } } });
    expect(patched.status, patched.text).to.equal(200);
    const a = await post({ inputs: { query: marker, title: `${marker} two` }, mode: 'http' });
    expect(a.status, a.text).to.equal(200);
    const body = a.json.output?.body as { query: string; results: Array<{ title: string }> };
    expect(body.query).to.equal(marker);
    // the search ran before this run's own create: only the earlier item is found
    expect(body.results.map((r) => r.title)).to.deep.equal([`${marker} one`]);
  });

  it('GET /v1/workflows/:id/runs lists the runs newest first', async () => {
    const a = await api<{ runs: Run[] }>(app.url, `/v1/workflows/${wf.id}/runs?limit=500`);
    expect(a.status).to.equal(200);
    const ids = a.json.runs.map((r) => r.id);
    const mine = [...new Set(created)].reverse();
    expect(ids).to.deep.equal(mine);
    const times = a.json.runs.map((r) => Date.parse(r.createdAt));
    expect(times).to.deep.equal([...times].sort((x, y) => y - x));
    expect(a.json.runs.every(isFinished)).to.equal(true);
    const page = await api<{ runs: Run[] }>(app.url, `/v1/workflows/${wf.id}/runs?limit=2&offset=1`);
    expect(page.json.runs.map((r) => r.id)).to.deep.equal(mine.slice(1, 3));
    // Out of range is clamped (limit 1–500, offset ≥ 0); what is not a whole number is a 400.
    const clamped = await api<{ runs: Run[]; limit: number; offset: number }>(app.url, `/v1/workflows/${wf.id}/runs?limit=0&offset=-3`);
    expect(clamped.status).to.equal(200);
    expect([clamped.json.limit, clamped.json.offset]).to.deep.equal([1, 0]);
    for (const path of [`/v1/workflows/${wf.id}/runs?limit=abc`, `/v1/workflows?offset=1.5`, `/v1/recordings?limit=`, `/v1/workflows?limit=10&limit=20`]) {
      const bad = await api<{ error: { code: string; details: Array<{ path: string }> } }>(app.url, path);
      expect(bad.status, path).to.equal(400);
      expect(bad.json.error.code, path).to.equal('invalid_request');
      expect(bad.json.error.details[0]!.path, path).to.match(/^query\.(limit|offset)$/);
    }
  });
});

describe('api: a full queue answers 429 queue_full with Retry-After', function () {
  this.timeout(180_000);
  let site: FixtureSite;
  let recorder: TestApp;
  let app: TestApp;

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    recorder = await startTestApp();
    // No worker: nothing leaves the queue.
    app = await startTestApp({ queueMaxWaiting: 2 }, { worker: false });
  });
  after(async () => {
    await app?.close();
    await recorder?.close();
    await site?.close();
  });

  it('past QUEUE_MAX_WAITING queued runs, POST …/runs → 429 with Retry-After', async () => {
    // Recorded on one instance, moved to the other as its HAR: both are things users do.
    const wf0 = await recordFixtureWorkflow(recorder.url, site, 'queue full');
    const har = await api(recorder.url, `/v1/recordings/${wf0.recordingId}/har`);
    expect(har.status).to.equal(200);
    const learned = await api<{ workflow: Workflow }>(app.url, '/v1/hars?name=queue-full', { body: har.json });
    expect(learned.status, learned.text).to.equal(201);
    const id = learned.json.workflow.id;

    // The HAR's password was redacted: it is a required input now, supplied here.
    const body = { mode: 'http', wait: 0, inputs: { password: 's3cret-pass' } };
    const first = await api<Run>(app.url, `/v1/workflows/${id}/runs`, { body });
    const second = await api<Run>(app.url, `/v1/workflows/${id}/runs`, { body });
    expect([first.status, second.status], first.text + second.text).to.deep.equal([202, 202]);
    const third = await api(app.url, `/v1/workflows/${id}/runs`, { body });
    expect(third.status, third.text).to.equal(429);
    expect(third.json.error.code).to.equal('queue_full');
    expect(Number(third.headers.get('retry-after'))).to.be.greaterThan(0);
    // the rejected call left nothing behind; the queued ones are still queued
    const list = await api<{ runs: Run[] }>(app.url, `/v1/workflows/${id}/runs`);
    expect(list.json.runs.map((r) => r.id)).to.have.members([first.json.id, second.json.id]);
    expect(list.json.runs.every((r) => r.status === 'queued')).to.equal(true);
  });
});
