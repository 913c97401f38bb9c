import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { Run, Workflow } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api, recordFixtureWorkflow } from './helpers.js';

// The run route and the worker keep parsed workflows between runs: an edit made through another
// API process (on the same Redis) must still take effect on the very next run of this one.
describe('api: runs use the stored workflow even when this process holds an older copy', function () {
  this.timeout(180_000);
  let site: FixtureSite;
  let a: TestApp;
  let b: TestApp;
  let wf: Workflow;

  const run = (inputs: Record<string, unknown>) => api<Run>(a.url, `/v1/workflows/${wf.id}/runs`, { body: { inputs, mode: 'http' } });

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    a = await startTestApp();
    b = await startTestApp({ keyPrefix: a.rf.config.keyPrefix }, { worker: false });
    wf = await recordFixtureWorkflow(a.url, site, 'cached workflow');
  });
  after(async () => {
    await b?.rf.close();
    await a?.close();
    await site?.close();
  });

  it('an input renamed through another API process is accepted (and the old name refused) at once', async () => {
    const before = await run({ title: `first ${randomBytes(3).toString('hex')}` });
    expect(before.status, before.text).to.equal(200);
    expect(before.json.status).to.equal('succeeded');

    const patched = await api<Workflow>(b.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { inputs: { title: { rename: 'headline' } } } });
    expect(patched.status, patched.text).to.equal(200);

    const headline = `renamed ${randomBytes(3).toString('hex')}`;
    const after = await run({ headline });
    expect(after.status, after.text).to.equal(200);
    expect(after.json.status).to.equal('succeeded');
    expect(after.json.inputs).to.deep.equal({ headline });
    expect((after.json.output?.body as { title: string }).title).to.equal(headline);

    const old = await run({ title: 'old name' });
    expect(old.status, old.text).to.equal(400);
    const error = (old.json as unknown as { error: { code: string; details?: unknown } }).error;
    expect(error.code).to.equal('invalid_input');
    expect(JSON.stringify(error.details)).to.contain('inputs.title');
  });

  it('an output changed through another API process is what the next run answers', async () => {
    const search = wf.steps.find((s) => s.description.startsWith('GET /api/search'))!;
    const patched = await api<Workflow>(b.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { output: { step: search.id } } });
    expect(patched.status, patched.text).to.equal(200);
    const marker = `cache${randomBytes(3).toString('hex')}`;
    const r = await run({ query: marker, headline: marker });
    expect(r.status, r.text).to.equal(200);
    expect((r.json.output?.body as { query: string }).query).to.equal(marker);
  });

  it('a workflow deleted through another API process → 404 and nothing queued', async () => {
    const del = await api(b.url, `/v1/workflows/${wf.id}`, { method: 'DELETE' });
    expect(del.status, del.text).to.be.oneOf([200, 204]);
    const r = await run({ headline: 'gone' });
    expect(r.status, r.text).to.equal(404);
    expect((r.json as unknown as { error: { code: string } }).error.code).to.equal('not_found');
  });
});
