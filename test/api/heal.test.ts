import { expect } from 'chai';
import type { Run, Workflow } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api, recordFixtureWorkflow, type Versions } from './helpers.js';

describe('self-healing: the site moved an endpoint; the browser gets through, a candidate is learned, verified and promoted', function () {
  this.timeout(240_000);
  let app: TestApp;
  let site: FixtureSite;
  let autoWf: Workflow;
  let proposeWf: Workflow;

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    app = await startTestApp();
    autoWf = await recordFixtureWorkflow(app.url, site, 'heal auto');
    proposeWf = await recordFixtureWorkflow(app.url, site, 'heal propose');
  });
  beforeEach(() => site.moveItemsEndpoint(true));
  after(async () => {
    site?.moveItemsEndpoint(false);
    await app?.close();
    await site?.close();
  });

  const hits = (route: string) => site.counters()[route] ?? 0;
  async function run(wf: Workflow, title: string): Promise<Run> {
    const r = await api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body: { inputs: { title }, wait: 120 } });
    expect(r.status, r.text).to.equal(200);
    expect(r.json.status, JSON.stringify(r.json.error)).to.equal('succeeded');
    expect(site.items().filter((i) => i.title === title), `one item titled ${title}`).to.have.length(1);
    return r.json;
  }
  async function versionsUntil(wf: Workflow, done: (v: Versions) => boolean): Promise<Versions> {
    let v: Versions | undefined;
    for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      v = (await api<Versions>(app.url, `/v1/workflows/${wf.id}/versions`)).json;
      if (done(v)) return v;
    }
    throw new Error(`versions did not get there: ${JSON.stringify(v)}`);
  }

  it('heal auto: the first run after the change goes through the browser, the next ones are http again; rolling back brings the fallback back', async () => {
    expect((await api(app.url, `/v1/workflows/${autoWf.id}`, { method: 'PATCH', body: { heal: 'auto' } })).json.heal).to.equal('auto');
    const first = await run(autoWf, 'heal auto 1');
    expect(first.mode).to.equal('browser');
    expect(first.fallback?.reason).to.match(/410/);
    const healed = await versionsUntil(autoWf, (v) => v.versions[0]?.reason === 'healed');
    expect(healed.current).to.equal(3); // 1 learned, 2 the heal policy edit, 3 healed
    const v2Before = hits('POST /api/v2/items');
    const second = await run(autoWf, 'heal auto 2');
    expect(second.mode, JSON.stringify(second.fallback)).to.equal('http');
    expect(second.version).to.equal(3);
    expect(hits('POST /api/v2/items') - v2Before, 'the healed step posts to the new path, once').to.equal(1);
    const changes = (await api(app.url, `/v1/workflows/${autoWf.id}/versions/2/changes`)).json.changes as string[];
    expect(changes.join('\n')).to.match(/\/api\/v2\/items/);

    expect((await api(app.url, `/v1/workflows/${autoWf.id}/versions/2/promote`, { method: 'POST' })).status).to.equal(200);
    const rolledBack = await run(autoWf, 'heal auto 3');
    expect(rolledBack.mode, 'the old version falls back again').to.equal('browser');
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).to.match(/replayfarm_heals_total\{outcome="promoted",reason="verified"\} [1-9]/);
  });

  it('heal propose (the default): the candidate waits for a person; runs keep falling back until it is promoted', async () => {
    const first = await run(proposeWf, 'heal propose 1');
    expect(first.mode).to.equal('browser');
    const proposed = await versionsUntil(proposeWf, (v) => v.candidate !== undefined);
    expect(proposed.current).to.equal(1);
    expect(proposed.candidate!.basedOn).to.equal(1);
    expect(proposed.candidate!.lostInputs).to.deep.equal([]);
    expect(proposed.candidate!.changes.join('\n')).to.match(/\/api\/v2\/items/);
    expect(proposed.candidate!.verified).to.match(/read-only step/);
    const full = await api<{ workflow: Workflow }>(app.url, `/v1/workflows/${proposeWf.id}/candidate`);
    expect(full.json.workflow.inputs.map((i) => i.name).sort(), 'the same input names').to.deep.equal(proposeWf.inputs.map((i) => i.name).sort());
    expect(JSON.stringify(full.json), 'no password in clear').not.to.include('s3cret');

    expect((await run(proposeWf, 'heal propose 2')).mode, 'not promoted yet').to.equal('browser');
    const promoted = await api<Workflow>(app.url, `/v1/workflows/${proposeWf.id}/candidate/promote`, { method: 'POST' });
    expect(promoted.status, promoted.text).to.equal(200);
    expect(promoted.json.version).to.equal(2);
    expect((await api(app.url, `/v1/workflows/${proposeWf.id}/candidate`)).status, 'the candidate is used up').to.equal(404);
    expect((await run(proposeWf, 'heal propose 3')).mode).to.equal('http');
  });
});
