import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Run, Workflow, WorkflowEvent } from '../../core/index.js';
import { verifyWebhookSignature } from '../../replayer/index.js';
import { fixtureFlow, startFixtureSite, type FixtureSite, type SiteRelease } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api, type Versions } from './helpers.js';
import { followEvents } from '../helpers/event-stream.js';

const WEBHOOK_SECRET = 'heal-webhook-secret';

/**
 * The site's releases (test/fixtures/site SiteRelease) each break the recorded request chain in
 * its own way while the page's script and forms follow: the first run after the change gets
 * through in the browser and heals the workflow (heal auto); the next run is HTTP again and does
 * what was asked; rolling back brings the fallback back. The item is never created twice.
 */
describe('self-healing across site releases: renamed output field, renamed CSRF header, login field names, new hidden login field', function () {
  this.timeout(300_000);
  let app: TestApp;
  let site: FixtureSite;

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    app = await startTestApp({ webhookSecret: WEBHOOK_SECRET });
  });
  afterEach(() => site.release({ itemTitleField: 'title', csrfHeader: 'X-CSRF-Token', loginFields: { username: 'username', password: 'password' }, loginFormBuildId: false, appPageGone: false }));
  after(async () => {
    await app?.close();
    await site?.close();
  });

  async function record(name: string, actions = fixtureFlow(site).slice(1), heal: 'auto' | 'propose' = 'auto'): Promise<Workflow> {
    const start = await api(app.url, '/v1/recordings', { body: { startUrl: `${site.url}/login`, actions, name } });
    expect(start.status, start.text).to.equal(201);
    const stop = await api<{ workflow: Workflow }>(app.url, `/v1/recordings/${start.json.id}/stop`, { method: 'POST' });
    expect(stop.status, stop.text).to.equal(201);
    const wf = stop.json.workflow;
    if (heal === 'auto') expect((await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { heal: 'auto' } })).json.heal).to.equal('auto');
    return wf;
  }
  const created = (title: string) => site.items().filter((i) => i.title === title).length;
  async function run(wf: Workflow, inputs: Record<string, unknown>): Promise<Run> {
    const r = await api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body: { inputs, wait: 120 } });
    expect(r.status, r.text).to.equal(200);
    expect(r.json.status, JSON.stringify(r.json.error)).to.equal('succeeded');
    if (typeof inputs.title === 'string') expect(created(inputs.title), `one item titled ${inputs.title}`).to.equal(1);
    return r.json;
  }
  async function healed(wf: Workflow, version: number): Promise<Versions> {
    let v: Versions | undefined;
    for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      v = (await api<Versions>(app.url, `/v1/workflows/${wf.id}/versions`)).json;
      if (v.current === version && v.versions[0]?.reason === 'healed') return v;
      if (v.candidate) throw new Error(`a candidate was proposed instead of promoted: ${JSON.stringify(v.candidate)}`);
    }
    throw new Error(`no healed version ${version}: ${JSON.stringify(v)}`);
  }

  /** One release through its whole cycle: fallback + heal, HTTP again, rollback falls back again. */
  async function cycle(wf: Workflow, change: SiteRelease, inputs: (n: number) => Record<string, unknown>, why: RegExp, changed: RegExp): Promise<void> {
    site.release(change);
    site.revokeAllSessions(); // the login runs again, as it does once a session expires
    const first = await run(wf, inputs(1));
    expect(first.mode, JSON.stringify(first.fallback)).to.equal('browser');
    expect(first.fallback?.reason).to.match(why);
    expect(first.fallback?.browser, 'a browser was used').to.equal(true);
    await healed(wf, 3); // 1 learned, 2 the heal policy, 3 healed
    const second = await run(wf, inputs(2));
    expect(second.mode, JSON.stringify(second.fallback)).to.equal('http');
    expect(second.version).to.equal(3);
    // a new login works over HTTP with the healed version (the site's sessions all revoked)
    site.revokeAllSessions();
    const relogged = await run(wf, inputs(4));
    expect(relogged.mode, JSON.stringify(relogged.fallback)).to.equal('hybrid');
    expect(relogged.fallback?.reason).to.match(/re-logged in over HTTP/);
    expect(relogged.fallback?.browser, 'no browser: it counts as an HTTP hit').to.equal(undefined);
    const changes = (await api<{ changes: string[] }>(app.url, `/v1/workflows/${wf.id}/versions/2/changes`)).json.changes;
    expect(changes.join('\n')).to.match(changed);
    expect((await api(app.url, `/v1/workflows/${wf.id}/versions/2/promote`, { method: 'POST' })).status).to.equal(200);
    site.revokeAllSessions();
    const rolledBack = await run(wf, inputs(3));
    expect(rolledBack.mode, 'the old version falls back again').to.equal('browser');
  }

  it('a renamed JSON field the output shows (title → name): the search output falls back, heals, and answers the new field over HTTP', async () => {
    const wf = await record('heal renamed field', fixtureFlow(site).slice(1, 8));
    const before = await run(wf, { query: 'apple' });
    expect(before.mode).to.equal('http');
    site.release({ itemTitleField: 'name' });
    const inputs = (n: number) => ({ query: n % 2 === 0 ? 'banana' : 'apple' });
    await cycle(wf, { itemTitleField: 'name' }, inputs, /without the field results\[\]\.title/, /step s3: what its answer must look like changed \(now fields results\[\]\.name; no longer results\[\]\.title\)/);
    // healed over HTTP: the output is the site's new answer, for this run's query
    const again = await api<Run>(app.url, `/v1/workflows/${wf.id}/versions/3/promote`, { method: 'POST' });
    expect(again.status).to.equal(200);
    const r = await run(wf, { query: 'banana' });
    expect(r.mode).to.equal('http');
    const body = r.output?.body as { results: Array<Record<string, unknown>> };
    expect(body.results.map((x) => x.name)).to.deep.equal(['banana bread', 'banana split']);
  });

  it('a renamed CSRF header (X-CSRF-Token → X-XSRF-Token): the refused POST is not counted, the browser creates the item once, the heal sends the new header; the events stream tells', async () => {
    const wf = await record('heal csrf header');
    const events = await followEvents<WorkflowEvent>(`${app.url}/v1/runs/events?workflowId=${wf.id}`, 'workflow');
    try {
      await cycle(wf, { csrfHeader: 'X-XSRF-Token' }, (n) => ({ title: `csrf header ${n}` }), /403/, /step s4: its headers changed \(now x-xsrf-token; no longer x-csrf-token\)/);
      for (const until = Date.now() + 30_000; Date.now() < until && events.seen.length < 4; ) await new Promise((r) => setTimeout(r, 50));
      // falling back (v2), healed (v3); after the rollback v4 falls back (told again: another version) and heals again (auto)
      expect(events.seen.map((e) => [e.event, e.version])).to.deep.equal([['falling_back', 2], ['healed', 3], ['falling_back', 4], ['healed', 5]]);
      expect(events.seen[0]).to.include({ workflowId: wf.id, step: 's4' });
      expect(events.seen[0]!.reason).to.match(/403/);
      expect(events.seen[1]!.changes).to.deep.equal(['step s4: its headers changed (now x-xsrf-token; no longer x-csrf-token)']);
    } finally {
      await events.stop();
    }
  });

  it('renamed login fields (username → login[name], password → login[pass]): the changed form is drift, the heal logs in with the new names', async () => {
    const wf = await record('heal login fields');
    await cycle(wf, { loginFields: { username: 'login[name]', password: 'login[pass]' } }, (n) => ({ title: `login fields ${n}` }), /new fields login\[name\], login\[pass\]; no fields username, password any more/, /step s2: its body changed \(now login\[name\], login\[pass\]; no longer username, password\)/);
  });

  it('a new required hidden login field (form_build_id): the changed form is drift, the heal carries the field from the login page', async () => {
    const wf = await record('heal hidden field');
    await cycle(wf, { loginFormBuildId: true }, (n) => ({ title: `hidden field ${n}` }), /new field form_build_id/, /value form_build_id added \(from s1: input\[name=form_build_id\] in the HTML\)/);
  });

  it('a page the browser cannot get through either (the app page is gone): a clear failure, the item not created, no candidate', async () => {
    const wf = await record('heal page gone');
    site.release({ appPageGone: true });
    site.revokeAllSessions();
    const r = await api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body: { inputs: { title: 'page gone' }, wait: 120 } });
    expect(r.status, r.text).to.equal(200);
    expect(r.json.status).to.equal('failed');
    expect(r.json.error?.code).to.be.oneOf(['target_error', 'site_changed']);
    expect(r.json.error?.message).to.match(/404/).and.to.match(/the browser run could not get through either/);
    expect(created('page gone')).to.equal(0);
    await new Promise((res) => setTimeout(res, 1000));
    const v = (await api<Versions>(app.url, `/v1/workflows/${wf.id}/versions`)).json;
    expect(v.candidate, 'no candidate').to.equal(undefined);
    expect(v.current, 'no new version').to.equal(2);
    expect((await api(app.url, `/v1/workflows/${wf.id}/candidate`)).status).to.equal(404);
  });

  it('heal propose (the default) with renamed login fields: runs keep falling back, each creating its item once, until the candidate is promoted', async () => {
    const wf = await record('heal propose login', fixtureFlow(site).slice(1), 'propose');
    site.release({ loginFields: { username: 'login[name]', password: 'login[pass]' } });
    site.revokeAllSessions();
    expect((await run(wf, { title: 'propose 1' })).mode).to.equal('browser');
    let v: Versions | undefined;
    for (const until = Date.now() + 60_000; Date.now() < until && !v?.candidate; await new Promise((r) => setTimeout(r, 200))) v = (await api<Versions>(app.url, `/v1/workflows/${wf.id}/versions`)).json;
    expect(v?.candidate?.changes.join('\n')).to.match(/login\[name\]/);
    expect(v!.current, 'not promoted').to.equal(1);
    const listed = (await api<{ workflows: Array<{ id: string; candidate?: boolean; heal: string; version: number }> }>(app.url, '/v1/workflows?limit=500')).json.workflows;
    expect(listed.find((w) => w.id === wf.id)).to.include({ candidate: true, heal: 'propose', version: 1 });
    expect(listed.filter((w) => w.id !== wf.id).every((w) => w.candidate === undefined), 'the others have none').to.equal(true);
    const second = await run(wf, { title: 'propose 2' });
    expect(second.mode, 'still the old login: the browser again').to.equal('browser');
    expect(second.version).to.equal(1);
    const promoted = await api<Workflow>(app.url, `/v1/workflows/${wf.id}/candidate/promote`, { method: 'POST' });
    expect(promoted.status, promoted.text).to.equal(200);
    site.revokeAllSessions();
    const third = await run(wf, { title: 'propose 3' });
    expect(third.version).to.equal(2);
    expect(third.fallback?.browser, JSON.stringify(third.fallback)).to.equal(undefined);
  });

  it('a renamed output field after the item was created: no fallback (that would create it twice), the run succeeds on its outcome check and warns', async () => {
    const wf = await record('warn renamed output');
    site.release({ itemTitleField: 'name' });
    const r = await run(wf, { title: 'renamed after create' });
    expect(r.mode).to.equal('http');
    expect((r.output?.body as Record<string, unknown>).name).to.equal('renamed after create');
    expect(r.warnings).to.deep.equal(['s5 (GET /api/items/{{id}}) answered JSON without the field title its recorded answer had (now name) (the site had accepted a state-changing step: the run stands on its outcome check)']);
    expect(app.logs()).to.include('the site answered differently from the recording');
  });

  it("the workflow's own webhook (PATCH notify) gets its events, signed; it survives the heal; null removes it; a bad URL is 400", async () => {
    const received: Array<{ signature: string; body: string }> = [];
    const hook: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ signature: String(req.headers['x-replayfarm-signature']), body });
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/replayfarm`;
    try {
      const wf = await record('heal notify');
      const bad = await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { notify: { webhook: 'not a url' } } });
      expect(bad.status).to.equal(400);
      expect(bad.json.error.details[0].path).to.equal('notify.webhook');
      const set = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { notify: { webhook: url } } });
      expect(set.json.notify).to.deep.equal({ webhook: url });
      site.release({ csrfHeader: 'X-XSRF-Token' });
      expect((await run(wf, { title: 'notify 1' })).mode).to.equal('browser');
      for (const until = Date.now() + 30_000; Date.now() < until && received.length < 2; ) await new Promise((r) => setTimeout(r, 50));
      const events = received.map((x) => JSON.parse(x.body) as WorkflowEvent);
      expect(events.map((e) => [e.event, e.version])).to.deep.equal([['falling_back', 3], ['healed', 4]]);
      for (const x of received) expect(verifyWebhookSignature(x.body, x.signature, WEBHOOK_SECRET), 'signed').to.equal(true);
      const healed = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`);
      expect(healed.json.version).to.equal(4);
      expect(healed.json.notify, 'the healed version keeps the webhook').to.deep.equal({ webhook: url });
      const off = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { notify: { webhook: null } } });
      expect(off.json.notify).to.equal(undefined);
      // deleting the workflow deletes its versions, candidate and falling-back marks
      const prefix = app.rf.config.keyPrefix;
      expect(await app.rf.store.call((r) => r.keys(`${prefix}fallbacks:${wf.id}`))).to.have.length(1);
      expect((await api(app.url, `/v1/workflows/${wf.id}`, { method: 'DELETE' })).status).to.equal(204);
      expect(await app.rf.store.call((r) => r.keys(`${prefix}*${wf.id}*`))).to.satisfy((keys: string[]) => !keys.some((k) => /versions|candidate|fallbacks/.test(k)));
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });
});
