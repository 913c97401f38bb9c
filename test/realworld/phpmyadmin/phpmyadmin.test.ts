/**
 * phpMyAdmin 5.2 (Debian bookworm) as a real-world target (issue 13): cookie auth with a `token`
 * hidden field and `set_session` at login, a token in every form bound to the session (rotated at
 * login), and an insert form whose fields are named by the md5 of the column name and posted by the
 * page's JavaScript (jQuery `$.post` with ajax_request=true; the answer is JSON with HTTP 200 even on
 * errors). Set-up: ./setup.sh (PHP's built-in server on 127.0.0.1:8182, MariaDB user rf_pma).
 * Every write is verified in MariaDB (`setup.sh sql`).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Run, Workflow } from '../../../core/index.js';
import { api, pollRun } from '../../api/helpers.js';
import { startTestApp, type TestApp } from '../../helpers/test-app.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SETUP = join(HERE, 'setup.sh');
const BASE = 'http://127.0.0.1:8182';
const USER = 'rf_pma';
const PASSWORD = 'rf-pma-Secret-1';
/** A second MariaDB user with the same rights (setup.sh creates it). */
const USER2 = 'rf_pma_bob';
const PASSWORD2 = 'rf-pma-Bob-2';
const INSERT_URL = `${BASE}/index.php?route=/table/change&db=rf_pma_data&table=notes`;
const EVIDENCE_DIR = '/tmp/rf-realworld/phpmyadmin/evidence';

function setup(...args: string[]): string {
  return execFileSync('bash', [SETUP, ...args], { encoding: 'utf8', timeout: 1_200_000, stdio: ['ignore', 'pipe', 'pipe'] });
}
const sql = (q: string): string => setup('sql', q).trim();
const quote = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
/** Rows of notes with this title, as [title, body]. */
function rowsWithTitle(title: string): Array<[string, string]> {
  const out = sql(`SELECT title, body FROM notes WHERE title = ${quote(title)}`);
  return out === '' ? [] : out.split('\n').map((l) => l.split('\t') as [string, string]);
}
function evidence(name: string, data: unknown): void {
  mkdirSync(EVIDENCE_DIR, { recursive: true });
  writeFileSync(join(EVIDENCE_DIR, `${name}.json`), typeof data === 'string' ? data : JSON.stringify(data, null, 2));
}
const tag = (): string => randomBytes(3).toString('hex');

/** The scripted recording: log in, open the table's Insert form, type a title and a body, click Go. */
function flow(v: { title: string; body: string }) {
  return [
    { type: 'fill', selector: '#input_username', value: USER, input: 'user' },
    { type: 'fill', selector: '#input_password', value: PASSWORD, input: 'password', secret: true },
    { type: 'click', selector: '#input_go' },
    { type: 'waitFor', selector: 'a.logout' },
    { type: 'goto', url: INSERT_URL },
    { type: 'fill', selector: '#field_2_3', value: v.title, input: 'title' },
    { type: 'fill', selector: '#field_3_3', value: v.body, input: 'body' },
    { type: 'click', selector: '#buttonYes' },
    { type: 'waitFor', selector: '.alert-success' },
  ];
}

describe('realworld: phpMyAdmin 5.2 (login token + set_session, per-session form token, ajax insert form)', function () {
  this.timeout(600_000);
  let app: TestApp;
  let wf: Workflow;
  let recordingId: string;
  const recorded = { title: `rec-title-${tag()}`, body: `rec body ${tag()}` };
  /** Every API answer of this file, to look for the password in. */
  const seen: string[] = [];

  async function run(workflowId: string, body: Record<string, unknown>, label: string): Promise<{ status: number; run: Run; text: string }> {
    const a = await api<Run>(app.url, `/v1/workflows/${workflowId}/runs`, { body: { wait: 120, ...body } });
    seen.push(a.text);
    let r = a.json;
    if (a.status === 202) r = await pollRun(app.url, a.json.id, undefined, 240_000, 250);
    evidence(`run-${label}`, { httpStatus: a.status, run: r ?? a.text });
    return { status: a.status, run: r, text: a.text };
  }
  /** The run's output is the insert's own answer: it says the row went in and shows the new title. */
  const expectOutputShows = (r: Run, title: string) => {
    const out = JSON.stringify(r.output?.body ?? null);
    expect(out, `output of ${r.mode} run: ${out.slice(0, 300)}`).to.include('1 row inserted');
    expect(out, 'the new title shows in the output').to.include(title);
  };
  const expectRecordedRowIntact = () => {
    expect(rowsWithTitle(recorded.title), 'the recorded row is still there, unchanged, once').to.deep.equal([[recorded.title, recorded.body]]);
  };

  before(async function () {
    this.timeout(1_500_000);
    setup('install');
    setup('start');
    setup('reset');
    app = await startTestApp();
    const start = await api(app.url, '/v1/recordings', { body: { startUrl: `${BASE}/index.php`, actions: flow(recorded), name: 'phpmyadmin insert note' } });
    seen.push(start.text);
    expect(start.status, start.text).to.equal(201);
    recordingId = start.json.id;
    const stop = await api<{ workflow: Workflow }>(app.url, `/v1/recordings/${recordingId}/stop`, { method: 'POST' });
    seen.push(stop.text);
    expect(stop.status, stop.text).to.equal(201);
    wf = stop.json.workflow;
    evidence('workflow', wf);
  });
  after(async () => {
    await app?.close();
  });

  it('the recording wrote the recorded row (scripted actions in Chromium)', () => {
    expectRecordedRowIntact();
  });

  it('a: learns the inputs a person would name (user, password, title, body), the password secret, no tokens or constants', () => {
    expect(wf.inputs.find((i) => i.name === 'password')?.secret, 'password is a secret input').to.equal(true);
    for (const i of wf.inputs.filter((x) => x.name !== 'password')) expect(i.secret, i.name).to.equal(false);
    // The password never comes back in clear.
    expect(JSON.stringify(wf)).not.to.include(PASSWORD);
    expect(wf.session, 'a login session was learned').to.not.equal(null);
    // The login token and the form token are traced to where they come from, not constants.
    const consts = wf.variables.filter((v) => v.source.kind === 'constant').map((v) => v.recorded ?? '');
    for (const c of consts) expect(c, 'a 32-hex token recorded as a constant').not.to.match(/^[0-9a-f]{32}$/);
    // What was typed, plus the database and table the person navigated to (the address bar is
    // typed too, and another table is another use); the route (/table/change) is the app's.
    const names = wf.inputs.map((i) => i.name).sort();
    expect(names, `${names.length} inputs: ${names.join(', ')}`).to.deep.equal(['body', 'db', 'password', 'table', 'title', 'user']);
    expect(wf.inputs.find((i) => i.name === 'db')!.default).to.equal('rf_pma_data');
  });

  it('a2: the login name is an input of the login only (the database name rf_pma_data merely contains it)', () => {
    for (const st of wf.steps.filter((x) => !x.bootstrap)) {
      expect(JSON.stringify(st.request), `${st.id} ${st.description} ${st.request.url} must not template the login name`).not.to.include('{{user}}');
    }
  });

  it("a3: the workflow's output is the insert (the step that carries the typed title), not UI chatter after it", () => {
    const out = wf.steps.find((x) => x.id === wf.output.step)!;
    const body = out.request.body;
    const fields = body && (body.kind === 'form' || body.kind === 'multipart') ? body.fields : [];
    // The insert sends the title as a field of its own; a later request that merely quotes it (phpMyAdmin's /lint of the shown SQL) is not the write.
    expect(fields.some((f) => f.value === '{{title}}'), `output step ${out.id} ${out.description} ${out.request.url}: ${JSON.stringify(body).slice(0, 300)}`).to.equal(true);
  });

  it('b: runs at HTTP level with new inputs; the new row is in MariaDB and the recorded one untouched', async () => {
    const v = { title: `http-title-${tag()}`, body: `http body ${tag()}` };
    const { status, run: r } = await run(wf.id, { inputs: { ...v }, mode: 'http' }, 'b-http');
    expect(status, JSON.stringify(r)).to.equal(200);
    expect(r.status, `rows with the new title: ${JSON.stringify(rowsWithTitle(v.title))}; run: ${JSON.stringify(r)}`).to.equal('succeeded');
    expect(r.mode).to.equal('http');
    expect(rowsWithTitle(v.title), 'the new row, written once').to.deep.equal([[v.title, v.body]]);
    expectRecordedRowIntact();
    expectOutputShows(r, v.title);
  });

  it('b2: another MariaDB user runs the same workflow at HTTP level (own session); the row lands in the same table', async () => {
    const v = { title: `bob-title-${tag()}`, body: `bob body ${tag()}` };
    const { run: r } = await run(wf.id, { inputs: { user: USER2, password: PASSWORD2, ...v }, mode: 'http', session: 'bob' }, 'b2-http-other-user');
    expect(r.status, `rows with the new title: ${JSON.stringify(rowsWithTitle(v.title))}; run: ${JSON.stringify(r)}`).to.equal('succeeded');
    expect(rowsWithTitle(v.title), 'the new row, written once').to.deep.equal([[v.title, v.body]]);
    expectRecordedRowIntact();
  });

  it('c: after every session is ended server-side, an auto run repairs the session and writes the new row', async () => {
    const out = setup('logout-all');
    expect(out).to.match(/old cookies now get the login form/);
    const v = { title: `relogin-title-${tag()}`, body: `relogin body ${tag()}` };
    const { run: r } = await run(wf.id, { inputs: { ...v } }, 'c-auto-after-logout');
    expect(r.status, `rows with the new title: ${JSON.stringify(rowsWithTitle(v.title))}; run: ${JSON.stringify(r)}`).to.equal('succeeded');
    // The session was repaired (over HTTP or in a browser): the run says so.
    expect(r.mode, JSON.stringify(r)).to.equal('hybrid');
    expect(r.fallback, 'fallback says why the session was repaired').to.have.property('reason').that.is.a('string');
    expect(rowsWithTitle(v.title), 'the new row, written once').to.deep.equal([[v.title, v.body]]);
    expectRecordedRowIntact();
    expectOutputShows(r, v.title);
  });

  it('d: runs in browser mode with new inputs; the new row is written and the recorded one untouched', async () => {
    const v = { title: `browser-title-${tag()}`, body: `browser body ${tag()}` };
    const { run: r } = await run(wf.id, { inputs: { ...v }, mode: 'browser' }, 'd-browser');
    expect(r.status, `rows with the new title: ${JSON.stringify(rowsWithTitle(v.title))}; run: ${JSON.stringify(r)}`).to.equal('succeeded');
    expect(r.mode).to.equal('browser');
    expect(rowsWithTitle(v.title), 'the new row, written once').to.deep.equal([[v.title, v.body]]);
    expectRecordedRowIntact();
    expectOutputShows(r, v.title);
  });

  it('e: a Chrome-style sanitised HAR of the recording learns a workflow that writes the new row or fails naming what is missing', async () => {
    const harAnswer = await api(app.url, `/v1/recordings/${recordingId}/har`);
    expect(harAnswer.status, harAnswer.text.slice(0, 300)).to.equal(200);
    const har = harAnswer.json as { log: { entries: Array<{ request: any; response: any }> } };
    const dropped = new Set(['cookie', 'set-cookie', 'authorization']);
    for (const e of har.log.entries) {
      for (const m of [e.request, e.response]) {
        m.headers = (m.headers ?? []).filter((h: { name: string }) => !dropped.has(h.name.toLowerCase()));
        m.cookies = [];
      }
    }
    const up = await api<{ workflow: Workflow }>(app.url, '/v1/hars?name=phpmyadmin-sanitised', { body: har });
    seen.push(up.text);
    expect(up.status, up.text.slice(0, 500)).to.equal(201);
    const hwf = up.json.workflow;
    evidence('workflow-sanitised-har', hwf);
    const v = { title: `har-title-${tag()}`, body: `har body ${tag()}` };
    // Map the HAR workflow's inputs the way a user would: by what was recorded in them.
    const inputs: Record<string, unknown> = {};
    for (const i of hwf.inputs) {
      if (/pass/i.test(i.name)) inputs[i.name] = PASSWORD;
      else if (i.default === recorded.title || i.name === 'title') inputs[i.name] = v.title;
      else if (i.default === recorded.body || i.name === 'body') inputs[i.name] = v.body;
      else if (/user/i.test(i.name)) inputs[i.name] = USER;
    }
    evidence('e-inputs', { inputs: Object.keys(inputs), learned: hwf.inputs });
    // A workflow learned from an upload has no stored session yet: the run has to log in itself.
    const a = await api<Run>(app.url, `/v1/workflows/${hwf.id}/runs`, { body: { inputs, mode: 'http', wait: 120 } });
    seen.push(a.text);
    const r = a.status === 202 ? await pollRun(app.url, a.json.id, undefined, 240_000, 250) : a.json;
    evidence('run-e-sanitised-har', { httpStatus: a.status, body: r ?? a.text });
    const rows = rowsWithTitle(v.title);
    // Never a silent wrong answer: succeeded means the row is there; anything else wrote nothing and says why.
    if (a.status >= 400) {
      expect(a.json?.error?.code, a.text).to.match(/^[a-z_]+$/);
      expect(rows, 'a refused run wrote nothing').to.deep.equal([]);
    } else if (r.status === 'succeeded') {
      expect(rows, `succeeded, so the new row must be there: ${JSON.stringify(r)}`).to.deep.equal([[v.title, v.body]]);
    } else {
      expect(r.status).to.equal('failed');
      expect(r.error?.code, JSON.stringify(r)).to.match(/^[a-z_]+$/);
      expect(rows, 'a failed run wrote nothing').to.deep.equal([]);
    }
    // The password was redacted in the HAR: it must become a required secret input named after its field
    // (pma_password), not a value taken from somewhere else (class 3); given it, the login works.
    const pw = hwf.inputs.find((i) => /pass/i.test(i.name));
    expect(pw, `a password input among ${JSON.stringify(hwf.inputs.map((i) => i.name))}`).to.not.equal(undefined);
    expect(pw!.secret && pw!.required, JSON.stringify(pw)).to.equal(true);
    if (r?.status === 'failed') {
      // With every credential supplied, a failure must name what is still missing, not the login.
      expect(r.error?.message, JSON.stringify(r.error)).not.to.match(/login form/);
    }
    expectRecordedRowIntact();
  });

  it('f: when the form changed under the workflow (column body renamed), HTTP sees the drift before writing and the browser writes the row once', async () => {
    setup('rename-column', 'body', 'content');
    try {
      const v = { title: `changed-title-${tag()}`, body: `changed body ${tag()}` };
      // A session of its own, logged in by this run: the drift must come from the changed form, not from an old session.
      const { run: r } = await run(wf.id, { inputs: { ...v }, session: 'form-changed' }, 'f-form-changed');
      // The HTTP run stops at the insert form (its field for `body` is gone) before anything is
      // written; mode auto then runs the recorded actions in the browser, where the form's fields
      // are still found: the row is written once, with the given values.
      expect(r.status, JSON.stringify(r.error)).to.equal('succeeded');
      expect(r.mode).to.equal('browser');
      expect(r.fallback?.reason, JSON.stringify(r.fallback)).to.match(/no longer holds .*: ran the whole workflow in the browser/);
      expect(r.steps.filter((s) => /^s\d+$/.test(s.id) && s.status === 'succeeded').map((s) => s.id), 'no HTTP write').to.not.include('s4');
      expect(sql(`SELECT COUNT(*) FROM notes WHERE title = ${quote(v.title)}`), 'one row').to.equal('1');
      expect(sql(`SELECT content FROM notes WHERE title = ${quote(v.title)}`), 'the body text, in the renamed column').to.equal(v.body);
    } finally {
      sql(`DELETE FROM notes WHERE title LIKE 'changed-title-%'`);
      setup('rename-column', 'content', 'body');
    }
  });

  it('never shows the password in any API answer', () => {
    for (const t of seen) expect(t).not.to.include(PASSWORD);
  });
});
