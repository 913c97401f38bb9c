import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import express from 'express';
import type { Run } from '../../core/index.js';
import { newId } from '../../core/index.js';
import { ConsoleSessions } from '../../server/console-session.js';
import { CONSOLE_CSP, consoleRoutes } from '../../server/routes/console.js';
import { CounterSite, counterWorkflow } from '../fixtures/counter-site.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api } from '../api/helpers.js';
import { followEvents } from '../helpers/event-stream.js';

const KEY = 'console-key-0123456789';

/** The rf_session cookie a Set-Cookie header sets, as a Cookie header value. */
function sessionCookie(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('rf_session='));
  expect(set, 'a rf_session cookie').to.be.a('string');
  return set!.split(';')[0]!;
}

async function signIn(url: string, key: string): Promise<Response> {
  return fetch(`${url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
}

describe('console: sign-in by cookie', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ apiKeys: [KEY] }, { worker: false });
  });
  after(async () => {
    await app?.close();
  });

  it('says a key is needed; a wrong key is 401; the right one sets an HttpOnly, SameSite=Strict cookie that is not the key', async () => {
    expect((await api(app.url, '/v1/session')).json).to.deep.equal({ authRequired: true, signedIn: false });
    const wrong = await signIn(app.url, 'not-the-key');
    expect(wrong.status).to.equal(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).to.equal('unauthorized');
    expect(wrong.headers.getSetCookie()).to.deep.equal([]);
    const ok = await signIn(app.url, KEY);
    expect(ok.status).to.equal(204);
    const set = ok.headers.getSetCookie().join('\n');
    expect(set).to.match(/HttpOnly/i).and.match(/SameSite=Strict/i).and.match(/Path=\//);
    expect(set).not.to.include(KEY);
    const cookie = sessionCookie(ok);
    expect((await api(app.url, '/v1/session', { headers: { cookie } })).json).to.deep.equal({ authRequired: true, signedIn: true });
  });

  it('the cookie reads the API; a call that changes state needs X-Requested-By too; a forged cookie is 401', async () => {
    const cookie = sessionCookie(await signIn(app.url, KEY));
    expect((await api(app.url, '/v1/workflows', { headers: { cookie } })).status).to.equal(200);
    expect((await api(app.url, '/v1/workflows')).status, 'no cookie, no key').to.equal(401);
    const noHeader = await api(app.url, '/v1/hars?name=x', { body: { log: {} }, headers: { cookie } });
    expect(noHeader.status).to.equal(403);
    expect(noHeader.json.error.code).to.equal('forbidden');
    expect(noHeader.json.error.message).to.include('X-Requested-By');
    const withHeader = await api(app.url, '/v1/hars?name=x', { body: { log: {} }, headers: { cookie, 'x-requested-by': 'replayfarm-console' } });
    expect(withHeader.status, 'past auth: the HAR itself is refused').to.equal(400);
    expect(withHeader.json.error.code).to.equal('invalid_har');
    const [name, value] = cookie.split('=') as [string, string];
    const forged = `${name}=${value.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 1000}.`)}`;
    expect((await api(app.url, '/v1/workflows', { headers: { cookie: forged } })).status).to.equal(401);
  });

  it('sign-out clears the cookie; bad sign-in bodies are 400 or 415, never 500', async () => {
    const out = await fetch(`${app.url}/v1/session`, { method: 'DELETE' });
    expect(out.status).to.equal(204);
    expect(out.headers.getSetCookie().join()).to.match(/rf_session=;/);
    expect((await api(app.url, '/v1/session', { body: {} })).status).to.equal(400);
    expect((await api(app.url, '/v1/session', { body: { key: KEY, extra: 1 } })).status).to.equal(400);
    const text = await fetch(`${app.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: KEY });
    expect(text.status).to.equal(415);
  });

  it('a token expires, and one made for a key no longer configured is refused', () => {
    let now = 1_000_000;
    const sessions = new ConsoleSessions([KEY, 'other-key'], () => now);
    const token = sessions.issue(KEY)!;
    expect(sessions.verify(token)).to.equal(true);
    expect(sessions.issue('nope')).to.equal(undefined);
    expect(new ConsoleSessions(['other-key']).verify(token), 'key removed').to.equal(false);
    now += 12 * 3600 * 1000 + 1;
    expect(sessions.verify(token), 'expired').to.equal(false);
  });
});

describe('console: run history across workflows and the live run stream', function () {
  this.timeout(60_000);
  let app: TestApp;
  let worker: TestApp;
  let site: CounterSite;
  let wfA: string;
  let wfB: string;

  before(async () => {
    site = await new CounterSite().start();
    // the API runs no worker: every run below is run by another Replayfarm, and what the stream
    // shows reached it through Redis
    app = await startTestApp({}, { worker: false });
    worker = await startTestApp({ keyPrefix: app.rf.config.keyPrefix }, { api: true });
    for (const id of [newId('wf'), newId('wf')]) await app.rf.store.put('workflow', id, counterWorkflow(site.url, id));
    const list = (await api(app.url, '/v1/workflows')).json.workflows as Array<{ id: string }>;
    [wfA, wfB] = list.map((w) => w.id) as [string, string];
  });
  after(async () => {
    await worker?.close();
    await app?.close();
    await site?.close();
  });

  it('GET /v1/runs lists every workflow\'s runs newest first, narrowed by workflow, status and mode', async () => {
    const a = await api<Run>(app.url, `/v1/workflows/${wfA}/runs`, { body: { inputs: { title: 'history-a' }, mode: 'http', wait: 30 } });
    const b = await api<Run>(app.url, `/v1/workflows/${wfB}/runs`, { body: { inputs: { title: 'history-b' }, mode: 'browser', wait: 0 } });
    expect(a.json.status, a.text).to.equal('succeeded');
    const all = await api<{ runs: Run[] }>(app.url, '/v1/runs?limit=10');
    expect(all.status).to.equal(200);
    expect(all.json.runs.map((r) => r.id)).to.include.members([a.json.id, b.json.id]);
    expect(all.json.runs[0]!.id, 'newest first').to.equal(b.json.id);
    const onlyA = await api<{ runs: Run[] }>(app.url, `/v1/runs?workflowId=${wfA}`);
    expect(onlyA.json.runs.map((r) => r.workflowId)).to.deep.equal([wfA]);
    const succeeded = await api<{ runs: Run[] }>(app.url, '/v1/runs?status=succeeded&mode=http');
    expect(succeeded.json.runs.map((r) => r.id)).to.deep.equal([a.json.id]);
    const bad = await api(app.url, '/v1/runs?status=done&mode=fast');
    expect(bad.status).to.equal(400);
    expect(bad.json.error.details.map((d: { path: string }) => d.path).sort()).to.deep.equal(['query.mode', 'query.status']);
    expect((await api(app.url, '/v1/runs?workflowId=wf_nothere0000')).status).to.equal(404);
    expect((await api(app.url, '/v1/runs?limit=ten')).status).to.equal(400);
  });

  it('GET /v1/runs/events streams a run queued, running and finished by a worker elsewhere, and only the workflow asked for', async () => {
    const events = await followEvents<Run>(`${app.url}/v1/runs/events?workflowId=${wfA}`, 'run');
    expect(events.status).to.equal(200);
    expect(events.contentType).to.match(/^text\/event-stream/);
    const seen = events.seen;
    try {
      const other = await api<Run>(app.url, `/v1/workflows/${wfB}/runs`, { body: { inputs: { title: 'events-b' }, mode: 'http', wait: 30 } });
      const mine = await api<Run>(app.url, `/v1/workflows/${wfA}/runs`, { body: { inputs: { title: 'events-a' }, mode: 'http', wait: 30 } });
      expect(mine.json.status, mine.text).to.equal('succeeded');
      for (const until = Date.now() + 10_000; Date.now() < until && !seen.some((r) => r.id === mine.json.id && r.status === 'succeeded'); ) await new Promise((r) => setTimeout(r, 50));
      const statuses = seen.filter((r) => r.id === mine.json.id).map((r) => r.status);
      expect(statuses).to.deep.equal(['queued', 'running', 'succeeded']);
      expect(seen.map((r) => r.id), 'the other workflow is filtered out').not.to.include(other.json.id);
      expect(seen.find((r) => r.status === 'succeeded')!.steps?.length).to.be.greaterThan(0);
    } finally {
      await events.stop();
    }
  });

  it('a bad filter on the stream is 400, not a stream', async () => {
    const res = await api(app.url, '/v1/runs/events?status=nope');
    expect(res.status).to.equal(400);
    expect(res.json.error.code).to.equal('invalid_request');
  });
});

describe('console: the pages', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rf-console-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>replayfarm</title><script type="module" src="./app.js"></script>');
    writeFileSync(join(dir, 'app.js'), 'document.title = "ok";');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function serve(routes: express.Router): Promise<{ url: string; close: () => Promise<void> }> {
    const app = express().use(routes);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
  }

  it('/ leads to /console/, which is served with a strict Content-Security-Policy', async () => {
    const s = await serve(consoleRoutes(dir));
    try {
      const root = await fetch(`${s.url}/`, { redirect: 'manual' });
      expect(root.status).to.equal(302);
      expect(root.headers.get('location')).to.equal('/console/');
      const page = await fetch(`${s.url}/console/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.include('<title>replayfarm</title>');
      expect(page.headers.get('content-security-policy')).to.equal(CONSOLE_CSP);
      expect(CONSOLE_CSP).to.include("script-src 'self'").and.not.include('unsafe-inline');
      expect(page.headers.get('x-frame-options')).to.equal('DENY');
      const js = await fetch(`${s.url}/console/app.js`);
      expect(js.status).to.equal(200);
      expect(js.headers.get('content-type')).to.match(/javascript/);
    } finally {
      await s.close();
    }
  });

  it('a console that was not built says how to build it', async () => {
    const s = await serve(consoleRoutes(join(dir, 'missing')).use((err: { code: string; message: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.status(404).json({ error: { code: err.code, message: err.message } })));
    try {
      const page = await fetch(`${s.url}/console/`);
      expect(page.status).to.equal(404);
      expect(((await page.json()) as { error: { message: string } }).error.message).to.include('npm run build');
    } finally {
      await s.close();
    }
  });
});
