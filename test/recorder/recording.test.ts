import { expect } from 'chai';
import harValidator from 'har-validator';
import { AppError, type Action, type HARFile, type Recording } from '../../core/index.js';
import { fixtureFlow, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { recorderRig, type RecorderRig } from './helpers.js';

const PASSWORD = 's3cret-pass';

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('recorder: scripted headless recording', function () {
  this.timeout(120_000);
  let site: FixtureSite;
  let rig: RecorderRig;

  before(async () => {
    site = await startFixtureSite();
    rig = await recorderRig('recorder');
  });
  after(async () => {
    await rig?.close();
    await site?.close();
  });

  it('records the fixture flow: valid HAR, expected actions and inputs, secrets kept out of storage', async () => {
    const manager = rig.manager();
    const flow = fixtureFlow(site);
    const started = await manager.start({ startUrl: flow[0]!.url!, name: 'fixture flow' });
    expect(started.status).to.equal('recording');
    const lease = rig.leases.at(-1)!;
    const mid = await manager.act(started.id, flow.slice(1));
    expect(mid.actions.map((a) => a.type)).to.deep.equal(flow.map((a) => a.type));

    const sid = (await lease.context.cookies()).find((c) => c.name === 'sid')?.value;
    expect(sid, 'session cookie').to.be.a('string').with.length.greaterThan(8);

    const { recording, workflow } = await manager.stop(started.id);
    expect(recording.status).to.equal('stopped');
    expect(recording.stopReason).to.equal('user');
    expect(recording.workflowId).to.equal(workflow.id);
    expect(recording.entryCount).to.be.greaterThan(3);

    // The action log: the same actions, selectors described robustly, typed values flagged as inputs.
    const acts = recording.actions;
    expect(acts.map((a) => a.type)).to.deep.equal(flow.map((a) => a.type));
    const fills = acts.filter((a) => a.type === 'fill');
    expect(fills.map((a) => a.input)).to.deep.equal(['username', 'password', 'query', 'title']);
    expect(fills.map((a) => a.selector)).to.deep.equal(['#username', '#password', '#search', '#title']);
    expect(fills.map((a) => a.secret === true)).to.deep.equal([false, true, false, false]);
    expect(fills[1]!.value).to.equal('[REDACTED]');
    expect(fills[0]!.value).to.equal('alice');
    expect(acts[3]).to.include({ type: 'click', selector: 'role=button[name="Log in"s]' });
    expect(acts[0]).to.include({ type: 'goto', url: `${site.url}/login` });
    // the created item's link reads the typed title: its selector must not depend on that text
    const itemClick = acts[acts.length - 2]!;
    expect(itemClick.type).to.equal('click');
    expect(itemClick.selector).to.not.include('My new item');
    expect(itemClick.selector).to.match(/a\.item-link/);
    for (const a of acts) expect(a.pageUrl, JSON.stringify(a)).to.match(/^http:\/\/127\.0\.0\.1/);

    // The stored HAR: valid, structure intact, no password, no session id.
    const blob = await rig.store.getBlob(`har:${started.id}`);
    expect(blob).to.not.equal(undefined);
    const text = blob!.toString('utf8');
    expect(text).to.not.include(PASSWORD);
    expect(text).to.not.include(sid!);
    const har = JSON.parse(text) as HARFile;
    await harValidator.har(har);
    const login = har.log.entries.find((e) => e.request.method === 'POST' && e.request.url.endsWith('/login'));
    expect(login, 'POST /login in the HAR').to.not.equal(undefined);
    expect(login!.request.postData?.text).to.include('username=alice');
    expect(login!.request.postData?.text).to.include('password=');
    const setCookie = login!.response.headers.find((h) => h.name.toLowerCase() === 'set-cookie');
    expect(setCookie?.value).to.match(/^sid=\[REDACTED\]/);
    expect(await manager.getHar(started.id)).to.deep.equal(har);

    // The stored recording record (raw bytes from Redis).
    const raw = await rig.redis.get(rig.store.key('recording', started.id));
    expect(raw).to.be.a('string');
    expect(raw).to.not.include(PASSWORD);
    expect(raw).to.not.include(sid!);
    expect((JSON.parse(raw!) as Recording).actions).to.have.length(flow.length);

    // The workflow keeps the password sealed only.
    const wfRaw = await rig.redis.get(rig.store.key('workflow', workflow.id));
    expect(wfRaw).to.not.include(PASSWORD);
    const pw = workflow.inputs.find((i) => i.name === 'password');
    expect(pw?.secret).to.equal(true);
    if (pw?.defaultSealed) expect(rig.secretBox.open(pw.defaultSealed)).to.equal(PASSWORD);

    // Stopped: no more actions, no second stop.
    expect((await rejection(manager.act(started.id, [{ type: 'click', selector: 'body' }]))).code).to.equal('recording_not_active');
    expect((await rejection(manager.stop(started.id))).code).to.equal('recording_not_active');
    expect((await rejection(manager.get('rec_nope'))).code).to.equal('not_found');
  });

  it('rejects bad input: start URL, action shapes', async () => {
    const manager = rig.manager();
    for (const startUrl of ['', 'ftp://x/', 'not a url', 'file:///etc/passwd']) {
      const err = await rejection(manager.start({ startUrl }));
      expect(err.code).to.equal('invalid_request');
      expect(err.details?.[0]?.path).to.equal('.startUrl');
    }
    const err = await rejection(manager.start({ startUrl: site.url, actions: [{ type: 'fill', selector: '#a' }, { type: 'jump' }] }));
    expect(err.code).to.equal('invalid_action');
    expect(err.details!.map((d) => d.path)).to.deep.equal(['[0].value', '[1].type']);
    expect((await rejection(manager.act('rec_missing', []))).code).to.equal('not_found');
  });

  it('stops an idle recording and releases its browser', async () => {
    const manager = rig.manager({ idleTimeoutMs: 1500 });
    const before = rig.pool.stats().borrowed;
    const rec = await manager.start({ startUrl: `${site.url}/login` });
    const lease = rig.leases.at(-1)!;
    expect(rig.pool.stats().borrowed).to.equal(before + 1);
    const { recording } = await manager.waitForStop(rec.id);
    expect(recording.stopReason).to.equal('idle_timeout');
    expect(recording.actions.map((a: Action) => a.type)).to.deep.equal(['goto']);
    expect(rig.pool.stats().borrowed).to.equal(before);
    expect(lease.context.pages()).to.have.length(0);
    expect((await manager.get(rec.id)).status).to.equal('stopped');
  });

  it('stops a recording at its maximum duration and releases its browser', async () => {
    const manager = rig.manager({ maxDurationMs: 2000, idleTimeoutMs: 600_000 });
    const rec = await manager.start({ startUrl: `${site.url}/login`, actions: [{ type: 'fill', selector: '#username', value: 'bob' }] });
    const { recording } = await manager.waitForStop(rec.id);
    expect(recording.stopReason).to.equal('max_duration');
    expect(recording.actions.map((a) => a.type)).to.deep.equal(['goto', 'fill']);
    expect(rig.leases.at(-1)!.context.pages()).to.have.length(0);
  });

  it('refuses more recordings than maxConcurrent', async () => {
    const manager = rig.manager({ maxConcurrent: 1 });
    const first = await manager.start({ startUrl: `${site.url}/login` });
    const err = await rejection(manager.start({ startUrl: `${site.url}/login` }));
    expect(err.code).to.equal('too_many_recordings');
    expect(err.statusCode).to.equal(429);
    expect(err.retryAfter).to.be.a('number');
    await manager.stop(first.id);
    const second = await manager.start({ startUrl: `${site.url}/login` });
    // Shutting down saves what is open.
    await manager.close();
    const saved = await rig.store.get<Recording>('recording', second.id);
    expect(saved).to.include({ status: 'stopped', stopReason: 'shutdown' });
    expect(saved?.workflowId).to.be.a('string');
    expect((await rejection(manager.start({ startUrl: `${site.url}/login` }))).code).to.equal('not_ready');
    // Metrics: every recording of this file was counted, none is open any more.
    const value = async (name: string, labels: Record<string, string> = {}) =>
      ((await rig.registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x))?.value ?? 0);
    expect(await value('replayfarm_recordings_open')).to.equal(0);
    expect(await value('replayfarm_recordings_started_total', { mode: 'headless' })).to.equal(5);
    expect(await value('replayfarm_recordings_stopped_total', { reason: 'shutdown' })).to.equal(1);
    expect(await value('replayfarm_recordings_stopped_total', { reason: 'idle_timeout' })).to.equal(1);
  });
});
