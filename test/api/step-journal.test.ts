import { expect } from 'chai';
import { newId, type Run, type Workflow } from '../../core/index.js';
import { RunJournal } from '../../replayer/run-journal.js';
import { CounterSite, counterWorkflow } from '../fixtures/counter-site.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api, pollRun } from './helpers.js';

/** The step journal through the v1 API: declaring a step idempotent, and what the journal keeps while a run is under way. */
describe('api: step journal', function () {
  let app: TestApp;
  let site: CounterSite;
  let wf: Workflow;

  before(async () => {
    app = await startTestApp();
    site = await new CounterSite().start();
    wf = counterWorkflow(site.url, newId('wf'));
    await app.rf.store.put('workflow', wf.id, wf);
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });

  it('PATCH steps.<id>.idempotent declares a state-changing step idempotent; bad edits get 400 with paths', async () => {
    const ok = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { steps: { s1: { idempotent: true } } } });
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.json.steps[0]!.idempotent).to.equal(true);
    const back = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { steps: { s1: { idempotent: false } } } });
    expect(back.json.steps[0]!.idempotent).to.equal(undefined);

    const bad = await api(app.url, `/v1/workflows/${wf.id}`, { method: 'PATCH', body: { steps: { s2: { idempotent: true }, s9: { idempotent: true }, s1: { idempotent: 'yes', other: 1 } } } });
    expect(bad.status).to.equal(400);
    expect(bad.json.error.code).to.equal('invalid_request');
    const paths = bad.json.error.details.map((d: { path: string }) => d.path);
    expect(paths).to.include.members(['steps.s2.idempotent', 'steps.s9', 'steps.s1.other', 'steps.s1.idempotent']);
  });

  it('while a run is under way its journal holds the claim and the sealed answer, and is deleted once the run is stored', async () => {
    const title = 'journal-secret-title-7731';
    site.hold = (method) => method === 'GET';
    const held = site.nextHeld();
    // The call waits a while for the run to finish: the journal is looked at while it waits.
    const call = api<Run>(app.url, `/v1/workflows/${wf.id}/runs`, { body: { mode: 'http', inputs: { title } } });
    const get = await held;
    const [runId] = await app.rf.redis.zrange(app.rf.store.key('run', 'index'), 0, 0, 'REV');
    const entries = await RunJournal.read(app.rf.store, runId!);
    expect([...entries.keys()]).to.deep.equal(['s1']);
    expect(entries.get('s1')).to.include({ state: 'answered', status: 201, what: 's1 (POST /items)' });
    // The answer (it could hold tokens) is sealed: the site's body is not in Redis in clear.
    const raw = await app.rf.redis.hgetall(app.rf.store.key('journal', runId!));
    expect(JSON.stringify(raw)).not.to.contain(title);
    site.hold = () => false;
    get.release();
    const started = await call;
    expect(started.json.id).to.equal(runId);
    const done = await pollRun(app.url, runId!);
    expect(done.status, JSON.stringify(done)).to.equal('succeeded');
    expect(await app.rf.redis.exists(app.rf.store.key('journal', runId!))).to.equal(0);
    expect(site.effects(title)).to.equal(1);
  });
});
