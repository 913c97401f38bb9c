import { expect } from 'chai';
import { AppError, type Workflow } from '../../core/index.js';
import type { Replayer } from '../../replayer/index.js';
import type { FixtureSite } from '../fixtures/site/index.js';
import { hits, openReplayerEnv } from './env.js';
import { fixtureWorkflow } from './fixture-workflow.js';

describe('replayer against the fixture site (hand-written workflow)', function () {
  this.timeout(120_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let site: FixtureSite;
  let replayer: Replayer;

  before(async () => {
    env = await openReplayerEnv('replayer');
    site = await env.site();
    replayer = env.replayer();
  });
  after(async () => {
    await env?.close();
  });
  afterEach(() => {
    site.setLoginChallenge(false);
    site.setSearchVariant('json');
  });

  describe('sessions', () => {
    let wf: Workflow;
    before(() => {
      wf = fixtureWorkflow(site.url, env.secretBox);
    });

    it('runs with new inputs over HTTP and returns the item the site created', async () => {
      const before = site.counters();
      const run = await replayer.run(wf, { inputs: { query: 'banana', title: 'Banana cake' } });
      expect(run.error).to.equal(undefined);
      expect(run.status).to.equal('succeeded');
      expect(run.mode).to.equal('http');
      const created = site.items().filter((i) => i.title === 'Banana cake');
      expect(created).to.have.length(1);
      expect(run.output).to.include({ status: 200, contentType: 'application/json' });
      expect(run.output!.body).to.include({ id: created[0]!.id, title: 'Banana cake', owner: 'alice' });
      expect(hits(site, 'POST /login') - (before['POST /login'] ?? 0)).to.equal(1);
      expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
      // No browser was involved: the page's assets were never fetched.
      expect(hits(site, 'GET /static/app.js')).to.equal(before['GET /static/app.js'] ?? 0);
      expect(run.steps.map((s) => s.status)).to.deep.equal(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    });

    it('reuses the session on the next run: no login request', async () => {
      const logins = hits(site, 'POST /login');
      const loginPages = hits(site, 'GET /login');
      const run = await replayer.run(wf, { inputs: { title: 'Second item' } });
      expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
      expect(run.mode).to.equal('http');
      expect(hits(site, 'POST /login')).to.equal(logins);
      expect(hits(site, 'GET /login')).to.equal(loginPages);
      expect(run.steps.slice(0, 2).map((s) => s.status)).to.deep.equal(['reused', 'reused']);
      expect((run.output!.body as { title: string }).title).to.equal('Second item');
    });

    it('repairs a revoked session (mode hybrid), creates the item once, and the next run is http again', async () => {
      site.revokeAllSessions();
      const before = site.counters();
      const run = await replayer.run(wf, { inputs: { title: 'After revoke' } });
      expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
      expect(run.mode).to.equal('hybrid');
      expect(run.fallback?.reason).to.match(/401/);
      expect(hits(site, 'POST /login') - (before['POST /login'] ?? 0)).to.equal(1);
      expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
      expect(site.items().filter((i) => i.title === 'After revoke')).to.have.length(1);

      const logins = hits(site, 'POST /login');
      const next = await replayer.run(wf, { inputs: { title: 'After repair' } });
      expect(next.status, JSON.stringify(next.error)).to.equal('succeeded');
      expect(next.mode).to.equal('http');
      expect(next.fallback).to.equal(undefined);
      expect(hits(site, 'POST /login')).to.equal(logins);
    });

    it('repairs in a browser when HTTP re-login is impossible, still creating the item once', async () => {
      site.setLoginChallenge(true);
      site.revokeAllSessions();
      const before = site.counters();
      const run = await replayer.run(wf, { inputs: { title: 'Browser repaired' } });
      expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
      expect(run.mode).to.equal('hybrid');
      expect(run.fallback?.reason).to.match(/browser/);
      // The browser loaded the login page with its script (which answers the challenge).
      expect(hits(site, 'GET /static/app.js')).to.be.greaterThan(before['GET /static/app.js'] ?? 0);
      expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
      expect(site.items().filter((i) => i.title === 'Browser repaired')).to.have.length(1);
      expect((run.output!.body as { title: string }).title).to.equal('Browser repaired');

      const logins = hits(site, 'POST /login');
      const next = await replayer.run(wf, { inputs: { title: 'After browser repair' } });
      expect(next.status, JSON.stringify(next.error)).to.equal('succeeded');
      expect(next.mode).to.equal('http');
      expect(hits(site, 'POST /login')).to.equal(logins);
    });

    it('in mode http, a session that needs a browser to repair fails with repair_failed', async () => {
      const w = fixtureWorkflow(site.url, env.secretBox);
      site.setLoginChallenge(true);
      const before = site.counters();
      const run = await replayer.run(w, { mode: 'http' });
      expect(run.status).to.equal('failed');
      expect(run.error?.code).to.equal('repair_failed');
      expect(hits(site, 'POST /api/items')).to.equal(before['POST /api/items'] ?? 0);
      expect(hits(site, 'GET /static/app.js')).to.equal(before['GET /static/app.js'] ?? 0);
    });

    it('runs sharing a session log in once when it breaks under both of them', async () => {
      const w = fixtureWorkflow(site.url, env.secretBox);
      const warmup = await replayer.run(w, { inputs: { title: 'warm' } });
      expect(warmup.status, JSON.stringify(warmup.error)).to.equal('succeeded');
      site.revokeAllSessions();
      const before = site.counters();
      const runs = await Promise.all([1, 2, 3].map((n) => replayer.run(w, { inputs: { title: `parallel ${n}` } })));
      for (const r of runs) expect(r.status, JSON.stringify(r.error)).to.equal('succeeded');
      expect(hits(site, 'POST /login') - (before['POST /login'] ?? 0)).to.equal(1);
      expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(3);
      for (const n of [1, 2, 3]) expect(site.items().filter((i) => i.title === `parallel ${n}`)).to.have.length(1);
    });

    it('when no repair works, auto mode runs the whole workflow in the browser (nothing state-changing sent yet)', async () => {
      const w = fixtureWorkflow(site.url, env.secretBox);
      // A session cookie no login ever sets: both the HTTP and the browser login "fail".
      w.session!.cookies = ['sid', 'never_set'];
      const before = site.counters();
      const run = await replayer.run(w, { inputs: { title: 'Whole run in browser' } });
      expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
      expect(run.mode).to.equal('browser');
      expect(run.fallback?.reason).to.match(/never_set.*whole workflow in the browser/);
      expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
      expect(site.items().filter((i) => i.title === 'Whole run in browser')).to.have.length(1);
      expect(run.output?.body).to.include({ title: 'Whole run in browser' });
    });

    it('runs the whole workflow in a browser in mode browser', async () => {
      const before = site.counters();
      const run = await replayer.run(wf, { mode: 'browser', inputs: { title: 'Made in browser mode' } });
      expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
      expect(run.mode).to.equal('browser');
      const created = site.items().filter((i) => i.title === 'Made in browser mode');
      expect(created).to.have.length(1);
      expect(run.output?.body).to.include({ id: created[0]!.id, title: 'Made in browser mode' });
      expect(hits(site, 'POST /api/items') - (before['POST /api/items'] ?? 0)).to.equal(1);
    });
  });

  describe('transient failures', () => {
    let wf: Workflow;
    before(async () => {
      wf = fixtureWorkflow(site.url, env.secretBox);
      const warm = await replayer.run(wf, {});
      expect(warm.status, JSON.stringify(warm.error)).to.equal('succeeded');
    });

    it('retries a 5xx and succeeds', async () => {
      const searches = hits(site, 'GET /api/search');
      site.failNext('GET /api/search', { status: 503, count: 2 });
      const run = await replayer.run(wf, { inputs: { title: 'after 503s' } });
      expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
      expect(hits(site, 'GET /api/search') - searches).to.equal(3);
      expect(run.steps.find((s) => s.id === 's3')!.attempts).to.equal(3);
    });

    it('retries a 429 after the Retry-After the site asked for', async () => {
      const searches = hits(site, 'GET /api/search');
      site.failNext('GET /api/search', { status: 429, count: 1, retryAfterS: 1 });
      const run = await replayer.run(wf, { inputs: { title: 'after 429' } });
      expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
      expect(hits(site, 'GET /api/search') - searches).to.equal(2);
      // Backoff alone would be ~20 ms; the site asked for a second.
      expect(run.durationMs).to.be.at.least(900);
    });

    it('gives up with target_error when the 5xx outlasts the retries, before creating anything', async () => {
      const items = hits(site, 'POST /api/items');
      site.failNext('GET /api/search', { status: 500, count: 3 });
      const run = await replayer.run(wf, {});
      expect(run.status).to.equal('failed');
      expect(run.error?.code).to.equal('target_error');
      expect(run.error?.message).to.match(/500/);
      expect(hits(site, 'POST /api/items')).to.equal(items);
    });

    it('reports drift (HTML where JSON was recorded) as site_changed in mode http, not a wrong answer', async () => {
      const items = hits(site, 'POST /api/items');
      site.setSearchVariant('html');
      const run = await replayer.run(wf, { mode: 'http' });
      expect(run.status).to.equal('failed');
      expect(run.error?.code).to.equal('site_changed');
      expect(run.output).to.equal(undefined);
      expect(hits(site, 'POST /api/items')).to.equal(items);
    });

    it('drift in mode auto of a workflow without recorded actions (a HAR upload) fails site_changed, saying why it cannot fall back or heal', async () => {
      site.setSearchVariant('html');
      const run = await replayer.run({ ...wf, actions: [] }, { mode: 'auto' });
      site.setSearchVariant('json');
      expect(run.status).to.equal('failed');
      expect(run.error?.code).to.equal('site_changed');
      expect(run.error?.message).to.match(/no recorded actions \(learned from a HAR file\), so it cannot fall back to a browser or heal/);
    });

    it('a stopped site gives target_unreachable after the retries', async () => {
      const gone = await env.site();
      const w = fixtureWorkflow(gone.url, env.secretBox);
      await gone.close();
      const run = await replayer.run(w, {});
      expect(run.status).to.equal('failed');
      expect(run.error?.code).to.equal('target_unreachable');
      expect(run.steps[0]!.attempts).to.equal(3);
    });

    it('opens the circuit of an origin after consecutive failures and fails fast', async () => {
      const r = env.replayer({ retries: { attempts: 1 }, breaker: { failureThreshold: 2, resetMs: 60_000 } });
      const w = fixtureWorkflow(site.url, env.secretBox);
      const ok = await r.run(w, {});
      expect(ok.status, JSON.stringify(ok.error)).to.equal('succeeded');
      site.failNext('GET /api/search', { status: 503, count: 2 });
      expect((await r.run(w, {})).error?.code).to.equal('target_error');
      expect((await r.run(w, {})).error?.code).to.equal('target_error');
      const searches = hits(site, 'GET /api/search');
      const third = await r.run(w, {});
      expect(third.error?.code).to.equal('circuit_open');
      expect(hits(site, 'GET /api/search')).to.equal(searches);
    });
  });

  describe('safety', () => {
    it('refuses a workflow whose origin is the cloud metadata address', async () => {
      const w = fixtureWorkflow('http://169.254.169.254', env.secretBox);
      const run = await replayer.run(w, {});
      expect(run.status).to.equal('failed');
      expect(run.error?.code).to.equal('target_forbidden');
      expect(run.steps.every((s) => s.attempts === 0)).to.equal(true);
    });

    it('refuses loopback targets unless allowed, by IP and by name', async () => {
      const strict = env.replayer({ allowLoopback: false });
      const before = site.counters();
      const byIp = await strict.run(fixtureWorkflow(site.url, env.secretBox), {});
      expect(byIp.error?.code).to.equal('target_forbidden');
      const byName = await strict.run(fixtureWorkflow(site.url.replace('127.0.0.1', 'localhost'), env.secretBox), {});
      expect(byName.error?.code).to.equal('target_forbidden');
      expect(site.counters()).to.deep.equal(before);
    });

    it('refuses a step URL outside the workflow origins', async () => {
      const w = fixtureWorkflow(site.url, env.secretBox);
      const other = await env.site();
      w.steps[2]!.request.url = `${other.url}/api/search?q={{query}}`;
      const run = await replayer.run(w, {});
      expect(run.error?.code).to.equal('target_forbidden');
      expect(hits(other, 'GET /api/search')).to.equal(0);
    });
  });

  describe('metrics', () => {
    it('counts runs by mode and status, repairs by reason, session reuses, retries and circuit state', async () => {
      const text = await env.registry.metrics();
      const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
      expect(value(/replayfarm_replay_runs_total\{mode="http",status="succeeded"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/replayfarm_replay_runs_total\{mode="hybrid",status="succeeded"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/replayfarm_replay_runs_total\{mode="browser",status="succeeded"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/replayfarm_replay_fallbacks_total\{reason="http_relogin"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/replayfarm_replay_fallbacks_total\{reason="browser_relogin"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(/replayfarm_replay_session_reuses_total (\d+)/)).to.be.greaterThan(0);
      expect(value(/replayfarm_replay_retries_total\{reason="429"\} (\d+)/)).to.be.greaterThan(0);
      expect(value(new RegExp(`replayfarm_replay_circuit_state\\{origin="${site.url.replace(/[.]/g, '\\.')}"\\} (\\d+)`))).to.equal(2);
      expect(text).to.match(/replayfarm_replay_step_duration_seconds_count\{mode="http"\} \d+/);
      expect(text).to.match(/replayfarm_replay_run_duration_seconds_count\{mode="http"\} \d+/);
      // the safety tests above: metadata and loopback refused by the policy, a step outside the origins
      expect(value(/replayfarm_replay_egress_refused_total\{mode="http",reason="address"\} (\d+)/)).to.be.at.least(3);
      expect(value(/replayfarm_replay_egress_refused_total\{mode="http",reason="origin"\} (\d+)/)).to.be.at.least(1);
    });
  });

  describe('inputs', () => {
    it('validateInputs reports unknown names, wrong types and missing required inputs', () => {
      const w = fixtureWorkflow(site.url, env.secretBox);
      w.inputs.push({ name: 'count', type: 'number', secret: false, required: true, description: 'a number', origin: 'request' });
      let err: unknown;
      try {
        replayer.validateInputs(w, { nope: 1, title: 5 });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(AppError);
      const e = err as AppError;
      expect(e.code).to.equal('invalid_input');
      expect(e.details!.map((d) => d.path).sort()).to.deep.equal(['inputs.count', 'inputs.nope', 'inputs.title']);
      expect(replayer.validateInputs(w, { count: 3, title: 'x' })).to.deep.equal({ count: 3, title: 'x' });
    });

    it('a run with invalid inputs fails with invalid_input without contacting the site', async () => {
      const before = site.counters();
      const run = await replayer.run(fixtureWorkflow(site.url, env.secretBox), { inputs: { title: 42 } });
      expect(run.status).to.equal('failed');
      expect(run.error?.code).to.equal('invalid_input');
      expect(site.counters()).to.deep.equal(before);
    });

    it('an input HTTP cannot carry in a header fails that step with invalid_input, once, without sending it', async () => {
      const w = fixtureWorkflow(site.url, env.secretBox);
      w.steps[2]!.request.headers.push({ name: 'x-search-note', value: '{{query}}' });
      const before = site.counters();
      const run = await replayer.run(w, { inputs: { query: 'snow \u2603' }, mode: 'http' });
      expect(run.status).to.equal('failed');
      expect(run.error?.code).to.equal('invalid_input');
      expect(run.error?.message).to.contain('x-search-note');
      const search = run.steps.find((s) => s.id === 's3')!;
      expect(search.status).to.equal('failed');
      expect(search.attempts).to.equal(1);
      const after = site.counters();
      expect(after['GET /api/search'] ?? 0).to.equal(before['GET /api/search'] ?? 0);
      expect(after['POST /api/items'] ?? 0).to.equal(before['POST /api/items'] ?? 0);
    });

    it('keeps secret inputs out of the result', async () => {
      const w = fixtureWorkflow(site.url, env.secretBox);
      const run = await replayer.run(w, { inputs: { password: 'wrong-password-123' }, mode: 'http' });
      expect(run.status).to.equal('failed');
      expect(JSON.stringify(run)).not.to.include('wrong-password-123');
      expect(JSON.stringify(run)).not.to.include('s3cret-pass');
    });
  });
});
