import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Run, Workflow } from '../../core/index.js';
import { api } from '../api/helpers.js';
import { startWikiSite, type WikiSite } from '../fixtures/wiki/wiki-site.js';
import { sharedHarsDir } from '../helpers/shared-fixtures.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { recordWiki } from './wiki-flow.js';

/** Class 9 of issue 13: the user names the target, at upload or later, and the workflow is pruned to it. */
describe('trust: choosing the target', function () {
  this.timeout(120_000);
  let site: WikiSite;
  let app: TestApp;
  let wf: Workflow;

  before(async () => {
    site = await startWikiSite();
    app = await startTestApp();
    wf = await recordWiki(app.url, site.url);
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });

  it('lists a recording\'s requests by entry, as a target can name them', async () => {
    const r = await api<{ requests: Array<{ entry: number; method: string; url: string; status: number }> }>(app.url, `/v1/recordings/${wf.recordingId}/requests`);
    expect(r.status, r.text).to.equal(200);
    const save = r.json.requests.find((x) => x.method === 'POST' && x.url.includes('do=edit'));
    expect(save, r.text.slice(0, 500)).to.include({ status: 302 });
    expect(r.json.requests.map((x) => x.entry)).to.deep.equal(r.json.requests.map((_, i) => i));
  });

  it('PATCH {target} with a request that was not a step of its own learns the workflow again, same id, pruned to what it needs', async () => {
    expect(wf.steps.some((s) => s.request.url.includes('id=start'))).to.equal(false);
    const settings = { heal: 'auto', notify: { webhook: 'http://127.0.0.1:9/hooks' } };
    expect((await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: settings })).status).to.equal(200);
    const r = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { target: 'GET /doku.php?id=start' } });
    expect(r.status, r.text).to.equal(200);
    expect(r.json.id).to.equal(wf.id);
    expect(r.json.name).to.equal(wf.name);
    expect({ heal: r.json.heal, notify: r.json.notify }, "learned again, it keeps the person's settings").to.deep.equal(settings);
    // ?id=start was the landing page of the login's redirect: the login (its redirect followed) is the result.
    const out = r.json.steps.find((s) => s.id === r.json.output.step)!;
    expect(out.request.method).to.equal('POST');
    expect(out.expect.htmlTitle).to.equal('start [Wiki]');
    // The edit page and the save are not needed to read the start page.
    expect(r.json.steps.some((s) => s.request.method === 'POST' && s.request.url.includes('do=edit'))).to.equal(false);
    // What the person typed stays an input (browser mode replays the actions); the page name, only in the save's URL, is gone.
    expect(r.json.inputs.map((i) => i.name).sort()).to.deep.equal(['password', 'text', 'user']);
    // The password is still the sealed recorded one: a run with no inputs logs in and reads the page.
    const run = await api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body: { wait: 30, mode: 'http' } });
    expect(run.json.status, run.text).to.equal('succeeded');
    expect(String(run.json.output!.body)).to.include('Welcome to the wiki.');
  });

  it('a target that matches nothing is 422 learn_failed listing what was recorded; a malformed one is 400', async () => {
    const none = await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { target: 'DELETE /nowhere/*' } });
    expect(none.status, none.text).to.equal(422);
    expect(none.json.error.code).to.equal('learn_failed');
    expect(none.json.error.details.some((d: { message: string }) => d.message.startsWith('POST /doku.php'))).to.equal(true);
    for (const target of ['POST /a /b', 42, { verb: 'GET' }, { entry: -1 }, {}]) {
      const bad = await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { target } });
      expect(bad.status, `${JSON.stringify(target)}: ${bad.text}`).to.equal(400);
      expect(bad.json.error.code).to.equal('invalid_request');
    }
    // The workflow is unchanged by failed edits.
    const now = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`);
    expect(now.json.steps.length).to.be.greaterThan(0);
  });

  it('POST /v1/recordings/:id/learn {target: "#entry"} learns a second workflow from the same recording', async () => {
    const reqs = (await api<{ requests: Array<{ entry: number; method: string; url: string }> }>(app.url, `/v1/recordings/${wf.recordingId}/requests`)).json.requests;
    const save = reqs.find((x) => x.method === 'POST' && x.url.includes('do=edit'))!;
    const r = await api<{ workflow: Workflow }>(app.url, `/v1/recordings/${wf.recordingId}/learn`, { body: { target: `#${save.entry}`, name: 'the save' } });
    expect(r.status, r.text).to.equal(201);
    expect(r.json.workflow.id).to.not.equal(wf.id);
    expect(r.json.workflow.name).to.equal('the save');
    const out = r.json.workflow.steps.find((s) => s.id === r.json.workflow.output.step)!;
    expect(out.request.method).to.equal('POST');
  });

  it('?target= at upload picks the result of a long HAR (a 607-entry news-site capture that otherwise learns its first page)', async () => {
    const body = readFileSync(new URL('12-pagexray-webpagetest-expressen-607entries.har', sharedHarsDir()));
    const plain = await api<{ workflow: Workflow }>(app.url, '/v1/hars?name=plain', { body: JSON.parse(body.toString('utf8')) });
    expect(plain.status, plain.text.slice(0, 300)).to.equal(201);
    const named = await api<{ workflow: Workflow }>(app.url, `/v1/hars?name=named&target=${encodeURIComponent('GET pixel.glimr.io/v3/iptags/*')}`, { body: JSON.parse(body.toString('utf8')) });
    expect(named.status, named.text.slice(0, 300)).to.equal(201);
    const w = named.json.workflow;
    const out = w.steps.find((s) => s.id === w.output.step)!;
    expect(out.request.url).to.include('pixel.glimr.io/v3/iptags/');
    expect(w.steps.length).to.be.below(5);
    const bad = await api(app.url, `/v1/hars?target=${encodeURIComponent('GET /a /b')}`, { body: JSON.parse(body.toString('utf8')) });
    expect(bad.status, bad.text.slice(0, 300)).to.equal(400);
  });
});
