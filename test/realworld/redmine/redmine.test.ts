/**
 * Redmine 5.0 (Debian bookworm) as a real-world target (issue 13): a Rails app with an
 * `authenticity_token` hidden input in every form (masked per render), a csrf-token meta tag, a
 * cookie-store session checked against a server-side session token, and a multipart new-issue form.
 *
 * Workflow: log in → open /projects/rf/issues/new → type subject and description → Create
 * (302 → /issues/N). Every write is verified in Redmine's own database (setup.sh sql).
 * Run: cd /work/main && npx mocha test/realworld/redmine/redmine.test.ts   (as root)
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Run, Workflow } from '../../../core/index.js';
import { startTestApp, type TestApp } from '../../helpers/test-app.js';
import { api, pollRun } from '../../api/helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const SETUP = join(HERE, 'setup.sh');
const BASE = 'http://127.0.0.1:8183';
const USER = 'admin';
const PASSWORD = 'rf-Admin-pass1';
const EVIDENCE = '/tmp/rf-realworld/redmine-evidence';

/** The inputs a person would name for this workflow: what they typed. */
const PERSON_INPUTS = ['user', 'password', 'subject', 'description'];

const execFileAsync = promisify(execFile);

/**
 * setup.sh, asynchronously: replayfarm runs in this process, so a synchronous child process would
 * stall its server and the test's keep-alive connections to it (the server then resets them).
 */
async function setup(...args: string[]): Promise<string> {
  const { stdout, stderr } = await execFileAsync('bash', [SETUP, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 });
  if (stderr.trim() && args[0] !== 'sql') process.stderr.write(stderr);
  return stdout;
}
async function sql(query: string): Promise<string[]> {
  const out = (await setup('sql', query)).trim();
  return out === '' ? [] : out.split('\n');
}
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
const issuesWithSubject = (subject: string) => sql(`SELECT id, description FROM issues WHERE subject = ${q(subject)} ORDER BY id`);
const issueCount = async () => Number((await sql('SELECT count(*) FROM issues'))[0]);
const tag = () => randomBytes(3).toString('hex');

function evidence(name: string, data: unknown): void {
  mkdirSync(EVIDENCE, { recursive: true });
  writeFileSync(join(EVIDENCE, `${name}.json`), JSON.stringify(data, null, 2));
}
const brief = (run: Run) =>
  JSON.stringify({ status: run.status, mode: run.mode, error: run.error, fallback: run.fallback, steps: run.steps, output: run.output && { status: run.output.status, contentType: run.output.contentType } });

describe('realworld: Redmine 5.0 (Rails authenticity_token, multipart issue form)', function () {
  this.timeout(600_000);
  let app: TestApp;
  let wf: Workflow;
  let recordingId: string;
  const recorded = { subject: `Recorded issue ${tag()}`, description: `Recorded description ${tag()}` };
  /** Issues the test wrote, subject → description, that must stay untouched. */
  const written = new Map<string, string>();

  async function run(workflowId: string, body: Record<string, unknown>, label: string): Promise<Run> {
    const a = await api<Run>(app.url, `/v1/workflows/${workflowId}/runs`, { body: { wait: 120, ...body } });
    expect([200, 202], a.text).to.include(a.status);
    const r = a.status === 202 ? await pollRun(app.url, a.json.id, undefined, 240_000, 250) : a.json;
    evidence(`run-${label}`, r);
    expect(JSON.stringify(r), 'a run never shows the password').not.to.contain(PASSWORD);
    return r;
  }

  /** The run wrote exactly one new issue with these values, and nothing the test wrote before changed. */
  async function expectWritten(subject: string, description: string, countBefore: number, label: string): Promise<void> {
    const rows = await issuesWithSubject(subject);
    expect(rows, `${label}: the issue "${subject}" is in Redmine's database, once`).to.have.length(1);
    expect(rows[0].split('|').slice(1).join('|'), `${label}: its description`).to.equal(description);
    expect(await issueCount(), `${label}: exactly one new issue`).to.equal(countBefore + 1);
    await expectUntouched(label);
    written.set(subject, description);
  }
  async function expectUntouched(label: string): Promise<void> {
    for (const [s, d] of written) {
      const rows = await issuesWithSubject(s);
      expect(rows, `${label}: earlier issue "${s}" still there once`).to.have.length(1);
      expect(rows[0].split('|').slice(1).join('|'), `${label}: earlier issue "${s}" untouched`).to.equal(d);
    }
  }

  before(async function () {
    await setup('install');
    await setup('start');
    await setup('reset');
    app = await startTestApp();
  });
  after(async () => {
    if (app) evidence('service-log', app.logs());
    await app?.close();
    // Leave Redmine running and in its normal shape for the next run (the broken-form step changes it).
    try {
      await setup('reset');
    } catch (err) {
      console.error('redmine reset after the test failed', err);
    }
  });

  it('a. records login + new issue through the v1 API; learns the inputs a person would name', async () => {
    const start = await api(app.url, '/v1/recordings', {
      body: {
        name: 'redmine: new issue',
        startUrl: `${BASE}/login`,
        actions: [
          { type: 'fill', selector: '#username', value: USER, input: 'user' },
          { type: 'fill', selector: '#password', value: PASSWORD, input: 'password', secret: true },
          { type: 'click', selector: '#login-submit' },
          { type: 'waitFor', url: '**/my/page' },
          { type: 'goto', url: `${BASE}/projects/rf/issues/new` },
          { type: 'fill', selector: '#issue_subject', value: recorded.subject, input: 'subject' },
          { type: 'fill', selector: '#issue_description', value: recorded.description, input: 'description' },
          { type: 'click', selector: 'input[name="commit"]' },
          { type: 'waitFor', selector: '#flash_notice' },
        ],
      },
    });
    expect(start.status, start.text).to.equal(201);
    recordingId = start.json.id;
    const stop = await api<{ workflow: Workflow }>(app.url, `/v1/recordings/${recordingId}/stop`, { method: 'POST' });
    expect(stop.status, stop.text).to.equal(201);
    wf = stop.json.workflow;
    evidence('workflow-recorded', wf);
    expect(JSON.stringify(wf), 'the workflow never shows the password').not.to.contain(PASSWORD);

    // The recording really wrote the issue.
    expect(await issuesWithSubject(recorded.subject), 'the recording created its issue').to.have.length(1);
    written.set(recorded.subject, recorded.description);

    const names = wf.inputs.map((i) => i.name);
    expect(names, `learned inputs ${JSON.stringify(wf.inputs.map((i) => [i.name, i.origin, i.description]))}`).to.have.members(PERSON_INPUTS);
    expect(wf.inputs.find((i) => i.name === 'password')?.secret, 'password is secret').to.equal(true);
    expect(wf.inputs.filter((i) => i.secret).map((i) => i.name), 'only the password is secret').to.deep.equal(['password']);
    for (const i of wf.inputs) expect(i.name, 'no token or app constant among the inputs').not.to.match(/token|utf8|commit|tracker|status|priority|csrf|_id$|date/i);
    // The tokens are traced from the pages, not constants or inputs.
    const tokenVars = wf.variables.filter((v) => /authenticity_token|csrf/i.test(v.name + v.description));
    expect(tokenVars.length, 'authenticity_token is learned as an extracted value').to.be.greaterThan(0);
    for (const v of tokenVars) expect(v.source.kind, `${v.name} comes from a page`).to.equal('extract');
    // The write is the multipart POST to /projects/rf/issues.
    const write = wf.steps.find((s) => s.request.method === 'POST' && /\/projects\/rf\/issues$/.test(s.request.url));
    expect(write, `a POST /projects/rf/issues step among ${wf.steps.map((s) => s.description).join(', ')}`).to.exist;
    expect(write!.stateChanging).to.equal(true);
  });

  it('b. HTTP run with new inputs writes the new issue; the recorded one is untouched', async () => {
    const subject = `HTTP issue ${tag()}`;
    const description = `HTTP description ${tag()}`;
    const before = await issueCount();
    const r = await run(wf.id, { inputs: { subject, description }, mode: 'http' }, 'b-http');
    expect(r.status, brief(r)).to.equal('succeeded');
    expect(r.mode).to.equal('http');
    expect(r.fallback, 'no browser in an http run').to.equal(undefined);
    await expectWritten(subject, description, before, 'http run');
  });

  it('c. after logout-all (server-side), an auto run repairs the session and writes: hybrid (or an honest http re-login)', async () => {
    // setup.sh proves with curl that a cookie that was logged in is anonymous afterwards (or fails).
    await setup('logout-all');
    const subject = `Auto issue ${tag()}`;
    const description = `Auto description ${tag()}`;
    const before = await issueCount();
    const r = await run(wf.id, { inputs: { subject, description }, mode: 'auto' }, 'c-auto-after-logout');
    expect(r.status, brief(r)).to.equal('succeeded');
    expect(['hybrid', 'http'], brief(r)).to.include(r.mode);
    if (r.mode === 'hybrid') {
      expect(r.fallback, 'a hybrid run says why it used a browser').to.be.an('object');
      expect(r.fallback!.reason).to.be.a('string').and.not.equal('');
    } else {
      // Honest http: the session was re-established over HTTP, so the login steps ran (not reused).
      const boot = new Set(wf.session?.bootstrapSteps ?? []);
      const ran = r.steps.filter((s) => boot.has(s.id) && s.status === 'succeeded');
      expect(ran.length, `an http run after logout-all re-ran the login steps: ${brief(r)}`).to.be.greaterThan(0);
    }
    await expectWritten(subject, description, before, 'auto run after logout-all');
  });

  it('d. browser run with new inputs writes the new issue; the recorded one is untouched (class 1)', async () => {
    const subject = `Browser issue ${tag()}`;
    const description = `Browser description ${tag()}`;
    const before = await issueCount();
    const r = await run(wf.id, { inputs: { subject, description }, mode: 'browser' }, 'd-browser');
    expect(r.status, brief(r)).to.equal('succeeded');
    expect(r.mode).to.equal('browser');
    await expectWritten(subject, description, before, 'browser run');
  });

  it('e. the recording HAR stripped like a Chrome sanitized export: verified success or a clear error naming what is missing', async () => {
    const har = await api(app.url, `/v1/recordings/${recordingId}/har`);
    expect(har.status, har.text.slice(0, 300)).to.equal(200);
    expect(har.text, 'the downloaded HAR is redacted: no password').not.to.contain(PASSWORD);
    const stripped = structuredClone(har.json);
    for (const e of stripped.log.entries) {
      for (const m of [e.request, e.response]) {
        m.headers = (m.headers ?? []).filter((h: { name: string }) => !['cookie', 'set-cookie', 'authorization'].includes(h.name.toLowerCase()));
        m.cookies = [];
      }
    }
    const up = await api<{ workflow: Workflow; error?: { code: string } }>(app.url, `/v1/hars?name=${encodeURIComponent('redmine sanitized')}`, { body: stripped });
    evidence('e-upload', { status: up.status, body: up.json ?? up.text });
    if (up.status >= 400) {
      expect(up.status, up.text).to.be.within(400, 499);
      expect(up.json?.error?.code, up.text).to.match(/^[a-z_]+$/);
      return;
    }
    expect(up.status, up.text).to.equal(201);
    const hw = up.json.workflow;
    evidence('workflow-har', hw);
    const find = (re: RegExp) => hw.inputs.find((i) => re.test(i.name));
    const pass = find(/pass/i);
    expect(pass, `a redacted password becomes a secret input: ${JSON.stringify(hw.inputs)}`).to.exist;
    expect(pass!.secret).to.equal(true);
    const subject = `HAR issue ${tag()}`;
    const description = `HAR description ${tag()}`;
    const inputs: Record<string, unknown> = { [pass!.name]: PASSWORD };
    const subj = find(/subject/i);
    const desc = find(/desc/i);
    if (subj) inputs[subj.name] = subject;
    if (desc) inputs[desc.name] = description;
    const before = await issueCount();
    const a = await api<Run>(app.url, `/v1/workflows/${hw.id}/runs`, { body: { inputs, mode: 'auto', wait: 120 } });
    if (a.status >= 400) {
      evidence('run-e-har', { status: a.status, body: a.json ?? a.text });
      expect(a.status, a.text).to.be.within(400, 499);
      expect(a.json?.error?.code, a.text).to.match(/^[a-z_]+$/);
      expect(await issueCount(), 'a refused run writes nothing').to.equal(before);
      return;
    }
    const r = a.status === 202 ? await pollRun(app.url, a.json.id, undefined, 240_000, 250) : a.json;
    evidence('run-e-har', r);
    if (r.status === 'succeeded') {
      expect(subj, `a run that succeeded must have taken the new subject as an input: ${JSON.stringify(hw.inputs)}`).to.exist;
      await expectWritten(subject, desc ? description : recorded.description, before, 'HAR run');
    } else {
      expect(r.status, brief(r)).to.equal('failed');
      expect(r.error?.code, brief(r)).to.match(/^[a-z_]+$/);
      expect(r.error?.message, brief(r)).to.be.a('string').and.not.equal('');
      expect(await issueCount(), `a failed run wrote nothing: ${brief(r)}`).to.equal(before);
      await expectUntouched('failed HAR run');
    }
  });

  it('f1. the issue form changed under the workflow (a new required field): the run fails with a clear code', async () => {
    await setup('break-form'); // Redmine re-renders the form with "Ticket reference cannot be blank", HTTP 200
    const subject = `Broken form ${tag()}`;
    const before = await issueCount();
    const r = await run(wf.id, { inputs: { subject, description: 'must not land' }, mode: 'auto' }, 'f1-required-field');
    expect(r.status, brief(r)).to.equal('failed');
    expect(r.error?.code, brief(r)).to.match(/^[a-z_]+$/);
    expect(await issuesWithSubject(subject), 'nothing written').to.have.length(0);
    expect(await issueCount()).to.equal(before);
    await expectUntouched('broken form run');
  });

  it('f2. issue tracking disabled in the project (the form is gone, Redmine answers 403): the run fails with a clear code', async () => {
    await sql("DELETE FROM custom_fields_trackers WHERE custom_field_id IN (SELECT id FROM custom_fields WHERE name = 'Ticket reference')");
    await sql("DELETE FROM custom_fields WHERE name = 'Ticket reference'");
    await sql("DELETE FROM enabled_modules WHERE name = 'issue_tracking' AND project_id = (SELECT id FROM projects WHERE identifier = 'rf')");
    const subject = `No module ${tag()}`;
    const before = await issueCount();
    const r = await run(wf.id, { inputs: { subject, description: 'must not land' }, mode: 'auto' }, 'f2-module-disabled');
    expect(r.status, brief(r)).to.equal('failed');
    expect(r.error?.code, brief(r)).to.match(/^[a-z_]+$/);
    expect(await issuesWithSubject(subject), 'nothing written').to.have.length(0);
    expect(await issueCount()).to.equal(before);
  });

  it('g. the password never appears in the service log', () => {
    expect(app.logs().length).to.be.greaterThan(0);
    expect(app.logs(), 'the password in a log line').not.to.contain(PASSWORD);
  });
});
