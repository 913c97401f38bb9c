import { expect } from 'chai';
import type { Workflow } from '../../core/index.js';
import type { Replayer } from '../../replayer/index.js';
import type { FixtureSite } from '../fixtures/site/index.js';
import { hits, openReplayerEnv } from './env.js';

/** The workflow with every mention of its origin replaced (same shape, another target). */
function retarget(wf: Workflow, from: string, to: string): Workflow {
  return JSON.parse(JSON.stringify(wf).split(from).join(to)) as Workflow;
}

describe('replayer on a LEARNED workflow (recorded in Chromium, learned, replayed)', function () {
  this.timeout(180_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let site: FixtureSite;
  let replayer: Replayer;
  let wf: Workflow;

  before(async () => {
    env = await openReplayerEnv('learned');
    site = await env.site();
    replayer = env.replayer();
    wf = await env.recordAndLearn(site);
  });
  after(async () => {
    await env?.close();
  });
  afterEach(() => {
    site.setLoginChallenge(false);
    site.setSearchVariant('json');
    site.moveItemsEndpoint(false);
  });

  it('the learned workflow has the shape the replayer relies on', () => {
    expect(wf.session, 'session').to.not.equal(null);
    expect(wf.session!.cookies).to.include('sid');
    expect(wf.steps.filter((s) => s.bootstrap).length).to.be.greaterThan(0);
    const create = wf.steps.find((s) => s.request.method === 'POST' && s.request.url.endsWith('/api/items'));
    expect(create?.stateChanging).to.equal(true);
    expect(create?.bootstrap).to.equal(false);
    expect(wf.inputs.map((i) => i.name)).to.include.members(['username', 'password', 'title']);
    expect(wf.inputs.find((i) => i.name === 'password')).to.include({ secret: true });
  });

  it('runs with new inputs and returns the item the site created', async () => {
    const before = site.counters();
    const run = await replayer.run(wf, { inputs: { title: 'Learned item' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.mode).to.equal('http');
    const created = site.items().filter((i) => i.title === 'Learned item');
    expect(created).to.have.length(1);
    expect(run.output?.body).to.include({ id: created[0]!.id, title: 'Learned item', owner: 'alice' });
    expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
    expect(hits(site, 'GET /static/app.js')).to.equal(before['GET /static/app.js'] ?? 0);
  });

  it('reuses the session on the next run', async () => {
    const logins = hits(site, 'POST /login');
    const run = await replayer.run(wf, { inputs: { title: 'Learned second' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.mode).to.equal('http');
    expect(hits(site, 'POST /login')).to.equal(logins);
  });

  it('after the site revokes sessions: hybrid (item created once), then http again', async () => {
    site.revokeAllSessions();
    const before = site.counters();
    const run = await replayer.run(wf, { inputs: { title: 'Learned after revoke' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.mode).to.equal('hybrid');
    expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
    expect(hits(site, 'POST /login') - (before['POST /login'] ?? 0)).to.equal(1);
    const next = await replayer.run(wf, {});
    expect(next.status, JSON.stringify(next.error)).to.equal('succeeded');
    expect(next.mode).to.equal('http');
  });

  it('repairs in a browser when HTTP re-login is impossible (item created once)', async () => {
    site.setLoginChallenge(true);
    site.revokeAllSessions();
    const before = site.counters();
    const run = await replayer.run(wf, { inputs: { title: 'Learned browser repair' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.mode).to.equal('hybrid');
    expect(run.fallback?.reason).to.match(/browser/);
    expect(hits(site, 'GET /static/app.js')).to.be.greaterThan(before['GET /static/app.js'] ?? 0);
    expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
    expect(site.items().filter((i) => i.title === 'Learned browser repair')).to.have.length(1);
  });

  it('retries 5xx and 429 (waiting the Retry-After)', async () => {
    site.failNext('GET /api/search', { status: 502, count: 1 });
    const a = await replayer.run(wf, {});
    expect(a.status, JSON.stringify(a.error)).to.equal('succeeded');
    site.failNext('GET /api/search', { status: 429, count: 1, retryAfterS: 1 });
    const b = await replayer.run(wf, {});
    expect(b.status, JSON.stringify(b.error)).to.equal('succeeded');
    expect(b.durationMs).to.be.at.least(900);
  });

  it('reports drift as site_changed in mode http, before anything is created', async () => {
    const items = hits(site, 'POST /api/items');
    site.setSearchVariant('html');
    const run = await replayer.run(wf, { mode: 'http' });
    expect(run.error?.code).to.equal('site_changed');
    expect(hits(site, 'POST /api/items')).to.equal(items);
  });

  it('the site moved an endpoint: the refused POST (410) was not acted on, so mode auto falls back to the browser, which creates the item once', async () => {
    site.moveItemsEndpoint(true);
    const before = site.counters();
    const run = await replayer.run(wf, { inputs: { title: 'After the move' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.mode).to.equal('browser');
    expect(run.fallback?.reason).to.match(/410/).and.match(/browser/);
    expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0), 'the old path, refused').to.equal(1);
    expect(hits(site, 'POST /api/v2/items') - (before['POST /api/v2/items'] ?? 0), 'the new path, by the browser').to.equal(1);
    expect(site.items().filter((i) => i.title === 'After the move')).to.have.length(1);
    expect((run.output?.body as { title?: string } | undefined)?.title).to.equal('After the move');
    const metrics = await env.registry.metrics();
    expect(metrics).to.match(new RegExp(`replayfarm_replay_drift_total\\{workflow="${wf.id}",step="s\\d+"\\} 1`));
    expect(metrics).to.match(new RegExp(`replayfarm_workflow_runs_total\\{workflow="${wf.id}",mode="browser",browser="true"\\} 1`));
    expect(metrics).to.match(new RegExp(`replayfarm_workflow_runs_total\\{workflow="${wf.id}",mode="http",browser="false"\\} [1-9]`));
    const http = await replayer.run(wf, { mode: 'http', inputs: { title: 'Moved, over HTTP' } });
    expect(http.error?.code, 'mode http does not fall back').to.equal('target_error');
    expect(site.items().filter((i) => i.title === 'Moved, over HTTP')).to.have.length(0);
  });

  it('a stopped site gives target_unreachable; metadata and (when not allowed) loopback origins are refused', async () => {
    const gone = await env.site();
    const url = gone.url;
    await gone.close();
    expect((await replayer.run(retarget(wf, site.url, url), {})).error?.code).to.equal('target_unreachable');
    expect((await replayer.run(retarget(wf, site.url, 'http://169.254.169.254'), {})).error?.code).to.equal('target_forbidden');
    expect((await env.replayer({ allowLoopback: false }).run(wf, {})).error?.code).to.equal('target_forbidden');
  });
});
