import { expect } from 'chai';
import harValidator from 'har-validator';
import type { HARFile, Recording } from '../../core/index.js';
import { poolProcesses } from '../../browser-pool/index.js';
import { fixtureFlow, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { api } from '../api/helpers.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const PASSWORD = 's3cret-pass';

describe('recorder: a recording whose browser crashes', function () {
  this.timeout(120_000);
  let site: FixtureSite;
  let app: TestApp;

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    app = await startTestApp();
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });

  it('keeps the HAR and actions captured so far, is marked failed, and takes no more actions or stop', async () => {
    const flow = fixtureFlow(site);
    // Logged in and on /app: goto, fill, fill, click, waitFor.
    const start = await api<Recording>(app.url, '/v1/recordings', { body: { startUrl: flow[0]!.url, actions: flow.slice(1, 5), name: 'crashes' } });
    expect(start.status, start.text).to.equal(201);
    const id = start.json.id;
    const more = await api<Recording>(app.url, `/v1/recordings/${id}/actions`, { body: { actions: [flow[5]] } });
    expect(more.status, more.text).to.equal(200);
    expect(more.json.actions).to.have.length(6);

    const mains = poolProcesses(app.rf.pool.marker).filter((p) => p.main);
    expect(mains.length, 'a running browser').to.be.greaterThan(0);
    for (const p of mains) process.kill(p.pid, 'SIGKILL');

    let rec: Recording | undefined;
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      const got = await api<Recording>(app.url, `/v1/recordings/${id}`);
      expect(got.status, got.text).to.equal(200);
      rec = got.json;
      if (rec.status !== 'recording') break;
    }
    expect(rec!.status, JSON.stringify(rec)).to.equal('failed');
    expect(rec!.error?.code).to.equal('browser_crashed');
    expect(rec!.error?.message).to.match(/browser crashed.*kept the \d+ requests and 6 actions/);
    expect(rec!.stopReason).to.equal('error');
    expect(rec!.workflowId).to.equal(undefined);
    // The actions done before the crash are kept (the password redacted).
    expect(rec!.actions.map((a) => a.type)).to.deep.equal(flow.slice(0, 6).map((a) => a.type));
    expect(rec!.actions[2]!.value).to.equal('[REDACTED]');

    // The HAR holds the requests made before the crash, secrets redacted.
    const har = await api<HARFile>(app.url, `/v1/recordings/${id}/har`);
    expect(har.status, har.text.slice(0, 300)).to.equal(200);
    expect(har.text).to.not.include(PASSWORD);
    await harValidator.har(har.json);
    const entries = har.json.log.entries;
    expect(entries.length).to.equal(rec!.entryCount);
    const path = (u: string) => new URL(u).pathname;
    const seen = entries.map((e) => `${e.request.method} ${path(e.request.url)} ${e.response.status}`);
    expect(seen).to.include('GET /login 200');
    const login = entries.find((e) => e.request.method === 'POST' && path(e.request.url) === '/login');
    expect(login, seen.join(', ')).to.not.equal(undefined);
    expect(login!.request.postData?.text).to.include('username=alice');
    expect(seen.some((s) => s.startsWith('GET /app 200')), seen.join(', ')).to.equal(true);
    const app200 = entries.find((e) => path(e.request.url) === '/app' && e.response.status === 200)!;
    expect(app200.response.content.text).to.match(/<html/i);
    // The session cookie the login set is redacted like any other.
    const setCookie = login!.response.headers.find((h) => h.name.toLowerCase() === 'set-cookie');
    if (setCookie) expect(setCookie.value).to.include('[REDACTED]');

    // Nothing more can happen to it, and the answer agrees with its status.
    const act = await api(app.url, `/v1/recordings/${id}/actions`, { body: { actions: [flow[6]] } });
    expect(act.status, act.text).to.equal(409);
    expect(act.json.error.code).to.equal('recording_not_active');
    expect(act.json.error.message).to.match(/failed: its browser crashed/);
    const stop = await api(app.url, `/v1/recordings/${id}/stop`, { method: 'POST' });
    expect(stop.status, stop.text).to.equal(409);
    expect(stop.json.error.message).to.match(/failed: its browser crashed/);
    expect(stop.json.error.message).to.not.match(/is stopped/);
  });

  it('an action in flight when the browser dies answers 409 failed, and the next recording works', async () => {
    const flow = fixtureFlow(site);
    const start = await api<Recording>(app.url, '/v1/recordings', { body: { startUrl: flow[0]!.url, name: 'crashes mid-action' } });
    expect(start.status, start.text).to.equal(201);
    const id = start.json.id;
    // A wait that never ends on its own: the browser is killed while it runs.
    const pending = api(app.url, `/v1/recordings/${id}/actions`, { body: { actions: [{ type: 'waitFor', selector: '#never-there' }] } });
    await new Promise((r) => setTimeout(r, 500));
    for (const p of poolProcesses(app.rf.pool.marker).filter((x) => x.main)) process.kill(p.pid, 'SIGKILL');
    const act = await pending;
    expect(act.status, act.text).to.equal(409);
    expect(act.json.error.message).to.match(/failed: its browser crashed.*kept the \d+ requests? and 1 action/);
    const got = await api<Recording>(app.url, `/v1/recordings/${id}`);
    expect(got.json.status).to.equal('failed');
    expect(got.json.error?.code).to.equal('browser_crashed');

    const next = await api<Recording>(app.url, '/v1/recordings', { body: { startUrl: flow[0]!.url, actions: flow.slice(1, 5), name: 'after the crash' } });
    expect(next.status, next.text).to.equal(201);
    const stop = await api<{ recording: Recording }>(app.url, `/v1/recordings/${next.json.id}/stop`, { method: 'POST' });
    expect(stop.status, stop.text).to.equal(201);
    expect(stop.json.recording.status).to.equal('stopped');
  });
});
