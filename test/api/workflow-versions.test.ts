import { expect } from 'chai';
import { describeChanges, newId, type Run, type Workflow } from '../../core/index.js';
import { CounterSite, counterWorkflow } from '../fixtures/counter-site.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api } from './helpers.js';

describe('workflow versions: every change is a version that can be read, compared and made current again', function () {
  this.timeout(60_000);
  let app: TestApp;
  let site: CounterSite;
  before(async () => {
    site = await new CounterSite().start();
    app = await startTestApp();
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });

  async function stored(): Promise<Workflow> {
    const wf = counterWorkflow(site.url, newId('wf'));
    await app.rf.store.put('workflow', wf.id, wf);
    return wf;
  }

  it('a learned workflow is version 1; each edit makes the next; older versions read as they were; changes in plain words', async () => {
    const wf = await stored();
    const first = await api(app.url, `/v1/workflows/${wf.id}/versions`);
    expect(first.json.current).to.equal(1);
    expect(first.json.versions.map((v: { version: number; reason: string }) => [v.version, v.reason])).to.deep.equal([[1, 'learned']]);

    const renamed = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { name: 'items, renamed' } });
    expect(renamed.status, renamed.text).to.equal(200);
    expect(renamed.json.version).to.equal(2);
    const retitled = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { inputs: { title: { default: 'second' } } } });
    expect(retitled.json.version).to.equal(3);

    const list = await api(app.url, `/v1/workflows/${wf.id}/versions`);
    expect(list.json.versions.map((v: { version: number; reason: string }) => [v.version, v.reason])).to.deep.equal([[3, 'edited'], [2, 'edited'], [1, 'learned']]);
    expect((await api<Workflow>(app.url, `/v1/workflows/${wf.id}/versions/1`)).json.name).to.equal(wf.name);
    const changes = await api(app.url, `/v1/workflows/${wf.id}/versions/1/changes`);
    expect(changes.json).to.deep.include({ from: 1, to: 3 });
    expect(changes.json.changes).to.deep.equal([`renamed from ${JSON.stringify(wf.name)} to "items, renamed"`, 'input title: default "first" → "second"']);
    expect((await api(app.url, `/v1/workflows/${wf.id}/versions/2/changes?to=3`)).json.changes).to.deep.equal(['input title: default "first" → "second"']);
  });

  it('promoting an older version makes it current as a new version (a roll-back), and runs record the version they ran', async () => {
    const wf = await stored();
    await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { inputs: { title: { default: 'changed' } } } });
    const back = await api<Workflow>(app.url, `/v1/workflows/${wf.id}/versions/1/promote`, { method: 'POST' });
    expect(back.status, back.text).to.equal(200);
    expect(back.json).to.include({ version: 3, name: wf.name });
    expect(back.json.inputs[0]!.default).to.equal('first');
    const list = await api(app.url, `/v1/workflows/${wf.id}/versions`);
    expect(list.json.versions[0]).to.include({ version: 3, reason: 'promoted', note: 'version 1 made current again' });
    expect((await api(app.url, `/v1/workflows/${wf.id}/versions/3/promote`, { method: 'POST' })).status, 'already current').to.equal(409);

    const run = await api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body: { mode: 'http', wait: 30 } });
    expect(run.json.status, run.text).to.equal('succeeded');
    expect(run.json.version).to.equal(3);
    expect(site.effects('first'), 'the restored default was used').to.be.greaterThan(0);
  });

  it('edits at the same moment never overwrite each other: each one that succeeds is its own version, the rest are 409', async () => {
    const wf = await stored();
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { name: `edit ${i}` } })));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).to.be.greaterThan(0);
    expect(answers.filter((a) => a.status !== 200).map((a) => (a.json as unknown as { error: { code: string } }).error.code)).to.satisfy((codes: string[]) => codes.every((c) => c === 'conflict'));
    expect(new Set(ok.map((a) => a.json.version)).size, 'distinct versions').to.equal(ok.length);
    const now = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`);
    expect(now.json.version).to.equal(1 + ok.length);
  });

  it('bad versions are 404; deleting the workflow deletes its versions', async () => {
    const wf = await stored();
    await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { name: 'x' } });
    for (const v of ['0', '99', 'abc', '1.5']) expect((await api(app.url, `/v1/workflows/${wf.id}/versions/${v}`)).status, v).to.equal(404);
    expect((await api(app.url, `/v1/workflows/${wf.id}/versions/1/changes?to=7`)).status).to.equal(404);
    expect((await api(app.url, '/v1/workflows/wf_nothere0000/versions')).status).to.equal(404);
    expect((await api(app.url, `/v1/workflows/${wf.id}`, { method: 'DELETE' })).status).to.equal(204);
    const keys = await app.rf.store.call((r) => r.keys(`${app.rf.config.keyPrefix}*${wf.id}*`));
    expect(keys.filter((k) => /versions|candidate|fallbacks/.test(k))).to.deep.equal([]);
  });

  it('describes a moved endpoint and a value whose source changed', () => {
    const a = counterWorkflow('http://site', 'wf_a');
    const b = structuredClone(a);
    b.steps[0]!.request.url = 'http://site/v2/items';
    b.variables[1]!.source = { kind: 'extract', step: 's1', extractor: { type: 'json', path: '$.item.id' } };
    b.inputs.push({ name: 'tag', type: 'string', secret: false, required: true, description: 'x', origin: 'typed' });
    expect(describeChanges(a, b)).to.deep.equal([
      'step s1: POST http://site/items → POST http://site/v2/items',
      'value item_id now comes from s1: JSON $.item.id (was s1: JSON $.id)',
      'input tag added (string)',
    ]);
    expect(describeChanges(a, structuredClone(a))).to.deep.equal([]);
  });

  it('names the headers, body fields and answer fields that changed', () => {
    const a = counterWorkflow('http://site', 'wf_a');
    const b = structuredClone(a);
    a.steps[0]!.request.headers = [{ name: 'X-CSRF-Token', value: '{{t}}' }];
    b.steps[0]!.request.headers = [{ name: 'X-XSRF-Token', value: '{{t}}' }];
    a.steps[0]!.request.body = { kind: 'form', mimeType: 'application/x-www-form-urlencoded', fields: [{ name: 'username', value: 'a' }] };
    b.steps[0]!.request.body = { kind: 'form', mimeType: 'application/x-www-form-urlencoded', fields: [{ name: 'login[name]', value: 'a' }, { name: 'form_build_id', value: 'x' }] };
    a.steps[0]!.expect = { status: 200, jsonKeys: ['id', 'title'] };
    b.steps[0]!.expect = { status: 200, jsonKeys: ['id', 'name'] };
    expect(describeChanges(a, b)).to.deep.equal([
      'step s1: its headers changed (now x-xsrf-token; no longer x-csrf-token)',
      'step s1: its body changed (now login[name], form_build_id; no longer username)',
      'step s1: what its answer must look like changed (now fields name; no longer title)',
    ]);
  });
});
