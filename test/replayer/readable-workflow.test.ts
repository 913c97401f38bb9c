import { expect } from 'chai';
import { migrateWorkflow, newId, stepHeaders, type Workflow } from '../../core/index.js';
import { compileWorkflow } from '../../replayer/compiled-workflow.js';
import { buildRequest } from '../../replayer/request-builder.js';
import { VariableScope } from '../../replayer/variable-scope.js';
import { loadWorkflow } from '../../server/routes/workflows.js';
import type { FixtureSite } from '../fixtures/site/index.js';
import { hits, openReplayerEnv } from './env.js';

/** The workflow as schema version 1 wrote it: every step carries all its headers, no common list. */
function asVersion1(wf: Workflow): Workflow {
  const { headers: _h, ...rest } = structuredClone(wf);
  return { ...rest, schemaVersion: 1, steps: rest.steps.map((s) => ({ ...s, request: { ...s.request, headers: stepHeaders(wf.headers, s.request.headers) } })) };
}

/** Every step's request as sent, serialised (header order included), with the same values for both shapes. */
function builtRequests(wf: Workflow): string[] {
  const c = compileWorkflow(wf);
  const scope = new VariableScope(c.variables, (name) => c.inputSpecs.get(name)?.default ?? `value-of-${name}`);
  for (const v of wf.variables) if (v.source.kind === 'extract') scope.set(v.name, `extracted-${v.name}`);
  return wf.steps.map((s) => {
    const r = buildRequest(s, scope, wf.origins[0], wf.headers);
    const body = r.body === undefined ? null : Buffer.from(r.body).toString('base64');
    return JSON.stringify({ method: r.method, url: r.url, headers: Object.entries(r.headers), body });
  });
}

describe('readable workflows (#18 item 7): common headers once, input types, browser step labels', function () {
  this.timeout(180_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let site: FixtureSite;
  let wf: Workflow;

  before(async () => {
    env = await openReplayerEnv('readable');
    site = await env.site();
    wf = await env.recordAndLearn(site);
  });
  after(async () => {
    await env?.close();
  });

  it('the learner stores the headers every step sends alike once (User-Agent, sec-ch-*), and the JSON is smaller', () => {
    expect(wf.schemaVersion).to.equal(2);
    const common = (wf.headers ?? []).map((h) => h.name.toLowerCase());
    expect(common).to.include.members(['user-agent', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform']);
    for (const s of wf.steps) for (const h of s.request.headers) expect(common, `${s.id} ${h.name}`).to.not.include(h.name.toLowerCase());
    const before = JSON.stringify(asVersion1(wf), null, 2).split('\n').length;
    const after = JSON.stringify(wf, null, 2).split('\n').length;
    console.log(`      fixture login workflow (${wf.steps.length} steps): ${before} JSON lines as version 1, ${after} as version 2`);
    expect(after).to.be.lessThan(before);
  });

  it('migrates a version-1 workflow into the learner\'s shape; a current one is left as it is', () => {
    const v1 = asVersion1(wf);
    const v2 = migrateWorkflow(v1);
    expect(v2).to.deep.equal(wf);
    expect(JSON.stringify(v2)).to.equal(JSON.stringify(wf));
    expect(migrateWorkflow(wf)).to.equal(wf);
  });

  it('a version-1 workflow and its migration build byte-for-byte the same requests, step by step', () => {
    const v1 = asVersion1(wf);
    const v2 = migrateWorkflow(asVersion1(wf));
    const a = builtRequests(v1);
    const b = builtRequests(v2);
    expect(a).to.have.length(wf.steps.length);
    expect(b).to.deep.equal(a);
    // User-Agent really is sent by every step of the migrated one.
    for (const r of b) expect(r.toLowerCase()).to.include('"user-agent"');
    const [c1, c2] = [compileWorkflow(v1), compileWorkflow(v2)];
    expect(c2.tokens).to.deep.equal(c1.tokens);
    expect(c2.idempotent).to.deep.equal(c1.idempotent);
  });

  it('a stored version-1 workflow is read as version 2 (real Redis) and a run of it succeeds against the site', async () => {
    const v1 = { ...asVersion1(wf), id: newId('wf') };
    await env.store.put('workflow', v1.id, v1);
    const read = await loadWorkflow(env.store, v1.id);
    expect(read.schemaVersion).to.equal(2);
    expect(read.headers?.length).to.equal(wf.headers?.length);
    const creates = hits(site, 'POST /api/items');
    const run = await env.replayer().run(read, { inputs: { title: 'Migrated item' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.mode).to.equal('http');
    expect(run.output?.body).to.include({ title: 'Migrated item' });
    expect(hits(site, 'POST /api/items') - creates).to.equal(1);
  });

  it('browser-mode run steps say which action they ran, never the typed secret', async () => {
    const run = await env.replayer().run(wf, { mode: 'browser', inputs: { title: 'Browser item' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    const labels = run.steps.filter((s) => /^a\d+$/.test(s.id)).map((s) => `${s.id}: ${s.action}`);
    expect(labels).to.include.members(['a1: goto ' + site.url + '/login', 'a3: fill #password [password]', 'a4: click button[type=submit]', 'a9: fill #title [title]']);
    expect(JSON.stringify(run)).to.not.include('s3cret-pass');
  });
});
