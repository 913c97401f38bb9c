import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import WebSocket from 'ws';
import type { Action, Recording } from '../../core/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api } from '../api/helpers.js';

const KEY = 'live-view-key-0123456789';
const OTHER = 'live-view-other-key-98765';

/** A search page whose one field fills the window: a click anywhere lands in it. */
function searchSite(): Promise<{ url: string; searches: string[]; close: () => Promise<void> }> {
  const searches: string[] = [];
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/search') {
      searches.push(u.searchParams.get('q') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ q: u.searchParams.get('q'), results: ['one', 'two'] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Search</title>
<form action="/search"><label for="q">Query</label><input id="q" name="q" autocomplete="off" style="position:fixed;left:0;top:0;width:100vw;height:100vh;font-size:40px"></form>`);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, searches, close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) }),
    ),
  );
}

interface Viewer {
  ws: WebSocket;
  messages: Array<Record<string, any>>;
  frames: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
  next(type: string, test?: (m: Record<string, any>) => boolean, ms?: number): Promise<Record<string, any>>;
  send(msg: unknown): void;
}

function connect(base: string, id: string, headers: Record<string, string>): Promise<Viewer> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/recordings/${id}/live`, { headers });
  const messages: Viewer['messages'] = [];
  const frames: Buffer[] = [];
  ws.on('message', (data, binary) => (binary ? frames.push(data as Buffer) : messages.push(JSON.parse(data.toString()))));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  const viewer: Viewer = {
    ws,
    messages,
    frames,
    closed,
    async next(type, test = () => true, ms = 15_000) {
      for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 25))) {
        const m = messages.find((x) => x.type === type && test(x));
        if (m) return m;
      }
      throw new Error(`no ${type} message within ${ms} ms; got ${JSON.stringify(messages.map((m) => m.type))}`);
    },
    send: (msg) => ws.send(JSON.stringify(msg)),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(viewer));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`handshake answered ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

describe('console: the live view of a recording (WebSocket, real Chromium)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let site: Awaited<ReturnType<typeof searchSite>>;
  let cookie: string;
  let origin: Record<string, string>;

  before(async () => {
    site = await searchSite();
    app = await startTestApp({ apiKeys: [KEY, OTHER] });
    const res = await fetch(`${app.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: KEY }) });
    cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
    origin = { origin: app.url };
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });

  async function startRecording(key = KEY): Promise<Recording> {
    const r = await api<Recording>(app.url, '/v1/recordings', { body: { startUrl: `${site.url}/`, name: 'live search' }, headers: { authorization: `Bearer ${key}` } });
    expect(r.status, r.text).to.equal(201);
    return r.json;
  }

  it('streams frames, takes clicks and keys from the viewer, shows the action log and requests, and the stop opens the learned workflow', async () => {
    const rec = await startRecording();
    const v = await connect(app.url, rec.id, { cookie, ...origin });
    const hello = await v.next('hello');
    expect(hello.recording.id).to.equal(rec.id);
    expect((await v.next('viewport')).width).to.be.greaterThan(300);
    for (const until = Date.now() + 10_000; Date.now() < until && v.frames.length === 0; ) await new Promise((r) => setTimeout(r, 25));
    expect(v.frames.length, 'a frame').to.be.greaterThan(0);
    expect(v.frames[0]!.subarray(0, 2).toString('hex'), 'JPEG').to.equal('ffd8');
    await v.next('requests', (m) => m.requests.some((q: { url: string }) => q.url === `${site.url}/`));

    v.send({ type: 'mouse', action: 'down', x: 0.5, y: 0.5, button: 'left', clickCount: 1 });
    v.send({ type: 'mouse', action: 'up', x: 0.5, y: 0.5, button: 'left', clickCount: 1 });
    for (const key of ['k', 'i', 'w', 'i']) {
      v.send({ type: 'key', action: 'down', key });
      v.send({ type: 'key', action: 'up', key });
    }
    v.send({ type: 'key', action: 'down', key: 'Enter' });
    v.send({ type: 'key', action: 'up', key: 'Enter' });
    await v.next('requests', (m) => m.requests.some((q: { url: string }) => q.url.includes('/search?q=kiwi')));
    expect(site.searches).to.deep.equal(['kiwi']);
    const fill = await v.next('actions', (m) => m.actions.some((a: Action) => a.type === 'fill' && a.value === 'kiwi'));
    const index = fill.from + (fill.actions as Action[]).findIndex((a) => a.type === 'fill');

    v.send({ type: 'mark', index, input: 'fruit' });
    const marked = await v.next('marked');
    expect(marked.action).to.include({ type: 'fill', input: 'fruit', value: 'kiwi' });

    const stopped = fetch(`${app.url}/v1/recordings/${rec.id}/stop`, { method: 'POST', headers: { cookie, 'x-requested-by': 'replayfarm-console' } });
    const done = await v.next('stopped');
    expect((await stopped).status).to.equal(201);
    expect((await v.closed).code).to.equal(1000);
    const wf = await api(app.url, `/v1/workflows/${done.workflowId}`, { headers: { cookie } });
    expect(wf.status).to.equal(200);
    expect(wf.json.inputs.map((i: { name: string }) => i.name), 'the marked name is the input').to.include('fruit');
  });

  it('a typed value marked secret is never sent back in clear', async () => {
    const rec = await startRecording();
    const v = await connect(app.url, rec.id, { cookie, ...origin });
    await v.next('viewport');
    v.send({ type: 'mouse', action: 'down', x: 0.5, y: 0.5 });
    v.send({ type: 'mouse', action: 'up', x: 0.5, y: 0.5 });
    v.send({ type: 'text', text: 'hunter2' });
    v.send({ type: 'key', action: 'down', key: 'Enter' });
    v.send({ type: 'key', action: 'up', key: 'Enter' });
    const fill = await v.next('actions', (m) => m.actions.some((a: Action) => a.type === 'fill'));
    const index = fill.from + (fill.actions as Action[]).findIndex((a) => a.type === 'fill');
    v.send({ type: 'mark', index, secret: true });
    const marked = await v.next('marked');
    expect(marked.action.value).to.equal('[REDACTED]');
    v.ws.close();
    await v.closed;
    const again = await connect(app.url, rec.id, { cookie, ...origin });
    const hello = await again.next('actions');
    expect(JSON.stringify(hello)).not.to.include('hunter2');
    // input is limited (100 a second, bursts of 200): a flood is cut, and the viewer is told
    for (let i = 0; i < 300; i++) again.send({ type: 'key', action: 'up', key: 'Shift' });
    expect((await again.next('error')).code).to.equal('rate_limited');
    again.ws.close();
    await api(app.url, `/v1/recordings/${rec.id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
  });

  it('refuses a handshake without a key, from another origin, and a viewer whose key did not start the recording; one viewer at a time; leaving does not stop it', async () => {
    const rec = await startRecording();
    const noKey = await connect(app.url, rec.id, origin).catch((e: { status?: number }) => e);
    expect((noKey as { status?: number }).status).to.equal(401);
    const badCookie = await connect(app.url, rec.id, { cookie: 'rf_session=v1.1.0000000000000000.x', ...origin }).catch((e: { status?: number }) => e);
    expect((badCookie as { status?: number }).status).to.equal(401);
    const elsewhere = await connect(app.url, rec.id, { cookie, origin: 'http://evil.example' }).catch((e: { status?: number }) => e);
    expect((elsewhere as { status?: number }).status).to.equal(403);

    const other = await connect(app.url, rec.id, { authorization: `Bearer ${OTHER}` });
    expect((await other.next('error')).code).to.equal('forbidden');
    expect((await other.closed).code).to.equal(4403);

    const first = await connect(app.url, rec.id, { cookie, ...origin });
    await first.next('hello');
    const second = await connect(app.url, rec.id, { authorization: `Bearer ${KEY}` });
    expect((await second.next('error')).message).to.match(/already has a live viewer/);
    expect((await second.closed).code).to.equal(4409);

    first.send({ type: 'nonsense' });
    expect((await first.next('error')).code).to.equal('invalid_request');
    first.ws.close();
    await first.closed;
    const state = await api<Recording>(app.url, `/v1/recordings/${rec.id}`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(state.json.status, 'the recording goes on without its viewer').to.equal('recording');
    const back = await connect(app.url, rec.id, { cookie, ...origin });
    back.send({ type: 'viewport', width: 800, height: 600 }); // before the view is even attached
    expect((await back.next('hello')).recording.id).to.equal(rec.id);
    expect(await back.next('viewport', (m) => m.width === 800), 'input sent at once is not lost').to.include({ width: 800, height: 600 });
    back.ws.close();
    await api(app.url, `/v1/recordings/${rec.id}/stop`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
  });
});
