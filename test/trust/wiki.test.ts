import { expect } from 'chai';
import type { Run, Workflow } from '../../core/index.js';
import { api } from '../api/helpers.js';
import { startWikiSite, type WikiSite } from '../fixtures/wiki/wiki-site.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { pageInput, recordWiki } from './wiki-flow.js';

/**
 * A single-entry-point app (one script, pages told apart by query), recorded through the API:
 * the failure classes of issue 13 that showed on real apps, each checked on the site's own data.
 */
describe('trust: a single-entry-point wiki, recorded and replayed through the API', function () {
  this.timeout(180_000);
  let site: WikiSite;
  let app: TestApp;
  let wf: Workflow;
  let page: string;
  const RECORDED = 'Recorded text, first version';

  const run = async (body: Record<string, unknown>): Promise<Run> => {
    const r = await api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body: { wait: 90, ...body } });
    expect(r.status, r.text).to.be.oneOf([200]);
    return r.json;
  };

  before(async () => {
    site = await startWikiSite();
    app = await startTestApp();
    wf = await recordWiki(app.url, site.url);
    page = pageInput(wf);
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });
  beforeEach(() => {
    site.readOnly = false;
    site.jsChallenge = false;
    site.captcha = false;
    site.twoFactor = false;
  });

  it('learns the inputs a person would name: user, password, the page and the text; the app constants stay constants', () => {
    expect(wf.inputs.map((i) => i.name).sort()).to.deep.equal(['password', page, 'text', 'user'].sort());
    expect(wf.inputs.find((i) => i.name === 'password')!.secret).to.equal(true);
    const constants = wf.variables.filter((v) => v.source.kind === 'constant').map((v) => v.name);
    expect(constants).to.include.members(['rev']);
    expect(wf.session!.loginUrl).to.match(/\/doku\.php\?do=login$/);
  });

  it('class 2: a login that redirects to ?id=start is no redirect to the login page; the HTTP run writes the new page', async () => {
    const r = await run({ inputs: { [page]: 'http-page', text: 'Written over HTTP' }, mode: 'http' });
    expect(r.status, JSON.stringify(r)).to.equal('succeeded');
    expect(r.mode).to.equal('http');
    expect(r.fallback).to.equal(undefined);
    expect(site.pages.get('http-page')).to.equal('Written over HTTP');
    expect(site.pages.get('recpage')).to.equal(RECORDED);
  });

  it('class 1: a browser run puts the new page name into the recorded goto URL; the recorded page is untouched', async () => {
    const r = await run({ inputs: { [page]: 'browser-page', text: 'Written <in> the browser & checked' }, mode: 'browser' });
    expect(r.status, JSON.stringify(r)).to.equal('succeeded');
    expect(r.mode).to.equal('browser');
    expect(site.pages.get('browser-page')).to.equal('Written <in> the browser & checked');
    expect(site.pages.get('recpage')).to.equal(RECORDED);
  });

  it('class 6: a save the site silently ignores is outcome_mismatch with the evidence, over HTTP and in the browser', async () => {
    site.readOnly = true;
    for (const mode of ['http', 'browser'] as const) {
      const r = await run({ inputs: { [page]: `ignored-${mode}`, text: `Never saved (${mode})` }, mode });
      expect(r.status, JSON.stringify(r)).to.equal('failed');
      expect(r.error!.code, JSON.stringify(r)).to.equal("outcome_mismatch");
      const d = r.error!.details![0]!;
      expect(d.expected).to.be.a('string');
      expect(String(d.got)).to.include('Edit');
      expect(site.pages.has(`ignored-${mode}`)).to.equal(false);
    }
  });

  it('class 4: after a server-side logout, the HTTP re-login runs first although page script set a cookie at login', async () => {
    site.revokeAll();
    const logins = site.logins;
    const r = await run({ inputs: { [page]: 'after-logout', text: 'After a logout' } });
    expect(r.status, JSON.stringify(r)).to.equal('succeeded');
    expect(r.mode).to.equal('hybrid');
    expect(r.fallback!.reason).to.include('re-logged in over HTTP');
    expect(site.logins).to.equal(logins + 1);
    expect(site.pages.get('after-logout')).to.equal('After a logout');
  });

  it('class 2 + 7: a browser repair can log in (the blocked save does not block the login on the same path), and the run says so', async () => {
    site.revokeAll();
    site.jsChallenge = true;
    const r = await run({ inputs: { [page]: 'browser-repair', text: 'Repaired in a browser' } });
    expect(r.status, JSON.stringify(r)).to.equal('succeeded');
    expect(r.mode).to.equal('hybrid');
    expect(r.fallback!.reason).to.include('re-logged in with the browser');
    expect(site.pages.get('browser-repair')).to.equal('Repaired in a browser');
    expect(site.pages.get('recpage')).to.equal(RECORDED);
  });

  it('a login that now wants a person (a CAPTCHA, a one-time code) fails at once with its own code, no browser tried', async () => {
    for (const [flag, code] of [['captcha', 'captcha_required'], ['twoFactor', 'second_factor_required']] as const) {
      site.revokeAll();
      site[flag] = true;
      const started = Date.now();
      const r = await run({ inputs: { [page]: `human-${flag}`, text: 'Never written' } });
      site[flag] = false;
      expect(r.status, JSON.stringify(r)).to.equal('failed');
      expect(r.error!.code, JSON.stringify(r)).to.equal(code);
      expect(r.fallback, JSON.stringify(r)).to.equal(undefined);
      expect(Date.now() - started).to.be.below(5000);
      expect(site.pages.has(`human-${flag}`)).to.equal(false);
    }
  });

  it('class 3 + 4: the redacted HAR of the recording learns a required password and no fake values; with nothing to replay in a browser a broken session fails at once with repair_failed', async () => {
    const har = await api(app.url, `/v1/recordings/${wf.recordingId}/har`);
    expect(har.status).to.equal(200);
    const up = await api<{ workflow: Workflow }>(app.url, '/v1/hars?name=wiki-from-har', { body: har.json });
    expect(up.status, up.text).to.equal(201);
    const hw = up.json.workflow;
    const pw = hw.inputs.find((i) => i.name === 'p' || i.name === 'password');
    expect(pw, JSON.stringify(hw.inputs)).to.include({ secret: true, required: true });
    expect(JSON.stringify(hw)).to.not.include('[REDACTED]');
    const runHar = async (inputs: Record<string, unknown>) => (await api<Run>(app.url, `/v1/workflows/${hw.id}/runs`, { body: { inputs, wait: 60 } })).json;
    const missing = await api(app.url, `/v1/workflows/${hw.id}/runs`, { body: { inputs: {}, wait: 60 } });
    expect(missing.status, missing.text).to.equal(400);
    expect(missing.json.error.code).to.equal('invalid_input');
    const pageName = hw.inputs.find((i) => i.default === 'recpage')!.name;
    const textName = hw.inputs.find((i) => i.default === RECORDED)!.name;
    const ok = await runHar({ [pw!.name]: 'wonderland', [pageName]: 'from-har', [textName]: 'From the HAR' });
    expect(ok.status, JSON.stringify(ok)).to.equal('succeeded');
    expect(site.pages.get('from-har')).to.equal('From the HAR');

    site.revokeAll();
    site.jsChallenge = true;
    const started = Date.now();
    const bad = await runHar({ [pw!.name]: 'wonderland', [pageName]: 'never', [textName]: 'Never written' });
    expect(bad.status, JSON.stringify(bad)).to.equal('failed');
    expect(bad.error!.code).to.equal('repair_failed');
    expect(bad.error!.message).to.match(/s\d+ \(POST \/doku\.php/);
    expect(bad.mode).to.equal('http');
    expect(bad.fallback).to.equal(undefined);
    expect(Date.now() - started).to.be.below(10_000);
    expect(site.pages.has('never')).to.equal(false);
    const failed = bad.steps.find((s) => s.status === 'failed');
    expect(failed?.reason, JSON.stringify(bad.steps)).to.be.a('string');
  });

  it('class 5: constants are listed and editable; PATCH promotes one to an input, and bad edits are 400', async () => {
    const bad = await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { constants: { nope: { promote: true }, rev: { colour: 1 } } } });
    expect(bad.status, bad.text).to.equal(400);
    expect(bad.json.error.details.map((d: { path: string }) => d.path)).to.deep.equal(['constants.nope', 'constants.rev.colour']);
    const r = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { constants: { rev: { promote: true } } } });
    expect(r.status, r.text).to.equal(200);
    expect(r.json.inputs.find((i) => i.name === 'rev')).to.include({ default: '0', secret: false });
    const unknown = await api(app.url, `/v1/workflows/${wf.id}/runs`, { body: { inputs: { rev: '3', [page]: 'promoted', text: 'With a rev' }, mode: 'http', wait: 30 } });
    expect(unknown.json.status, unknown.text).to.equal('succeeded');
    expect(site.pages.get('promoted')).to.equal('With a rev');
  });
});
