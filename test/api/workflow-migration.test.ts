import { expect } from 'chai';
import { newId, stepHeaders, type Run, type Workflow } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api, recordFixtureWorkflow } from './helpers.js';

/** The workflow as schema version 1 stored it: all headers on every step. */
function asVersion1(wf: Workflow, id: string): Workflow {
  const { headers: _h, ...rest } = structuredClone(wf);
  return { ...rest, id, schemaVersion: 1, steps: rest.steps.map((s) => ({ ...s, request: { ...s.request, headers: stepHeaders(wf.headers, s.request.headers) } })) };
}

describe('api: workflows stored as schema version 1 (#18 item 7)', function () {
  this.timeout(120_000);
  let site: FixtureSite;
  let app: TestApp;
  let learned: Workflow;

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    app = await startTestApp({ allowLoopback: true });
    learned = await recordFixtureWorkflow(app.url, site);
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });

  it('are answered, edited and run in the current shape', async () => {
    expect(learned.schemaVersion).to.equal(2);
    expect(learned.headers?.map((h) => h.name.toLowerCase())).to.include('user-agent');
    const id = newId('wf');
    await app.rf.store.put('workflow', id, asVersion1(learned, id));

    const got = await api<Workflow>(app.url, `/v1/workflows/${id}`);
    expect(got.status, got.text).to.equal(200);
    expect(got.json.schemaVersion).to.equal(2);
    expect(got.json.headers).to.deep.equal(learned.headers);
    expect(got.json.steps).to.deep.equal(learned.steps);

    // A PATCH saves the migrated shape.
    const patched = await api<Workflow>(app.url, `/v1/workflows/${id}`, { method: 'PATCH', body: { inputs: { title: { rename: 'item_title' } } } });
    expect(patched.status, patched.text).to.equal(200);
    const stored = await app.rf.store.get<Workflow>('workflow', id);
    expect(stored?.schemaVersion).to.equal(2);
    expect(stored?.headers).to.deep.equal(learned.headers);

    const run = await api<Run>(app.url, `/v1/workflows/${id}/runs`, { body: { inputs: { item_title: 'From a v1 record' }, mode: 'http', wait: 60 } });
    expect(run.status, run.text).to.equal(200);
    expect(run.json.status, run.text).to.equal('succeeded');
    expect(site.items().some((i) => i.title === 'From a v1 record')).to.equal(true);
  });
});
