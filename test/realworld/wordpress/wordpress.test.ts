import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Run, Workflow } from '../../../core/index.js';
import { api, type Answer } from '../../api/helpers.js';
import { startTestApp, type TestApp } from '../../helpers/test-app.js';

/**
 * WordPress 6.1 (Debian's package, MariaDB, php -S on 127.0.0.1:8181): log in at /wp-login.php (its
 * `wordpress_test_cookie`, no CSRF token) and publish a post in the block editor. The editor is a
 * JavaScript app: /wp-admin/post-new.php creates an auto-draft, puts its id in the page and the REST
 * nonce in inline JS (`wp.apiFetch.createNonceMiddleware( "…" )`); Publish sends
 * POST /wp-json/wp/v2/posts/ID with `X-WP-Nonce` and a JSON body. curl-proof.sh proves that flow by hand.
 * Everything is checked through the v1 API and on WordPress's own tables.
 */
const SETUP = fileURLToPath(new URL('./setup.sh', import.meta.url));
const EVIDENCE = '/tmp/rf-realworld/wordpress-evidence';
const WP = 'http://127.0.0.1:8181';
const ADMIN = 'admin';
const PASSWORD = 'rf-Admin-pass-1';

function setup(...args: string[]): string {
  return execFileSync('bash', [SETUP, ...args], { encoding: 'utf8', timeout: 900_000, stdio: ['ignore', 'pipe', 'pipe'] });
}
function sql(q: string): string[][] {
  const out = setup('sql', q).trim();
  return out === '' ? [] : out.split('\n').map((l) => l.split('\t'));
}
const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** Status of every post with this exact title (a post is never written twice with one title here). */
const statusesOf = (title: string) => sql(`SELECT post_status FROM wp_posts WHERE post_type='post' AND post_title=${q(title)}`).map((r) => r[0]);
const published = (title: string) => statusesOf(title).filter((s) => s === 'publish').length;
const contentOf = (title: string) => sql(`SELECT post_content FROM wp_posts WHERE post_type='post' AND post_title=${q(title)} AND post_status='publish'`).map((r) => r[0]);

function save(name: string, data: unknown): void {
  mkdirSync(EVIDENCE, { recursive: true });
  writeFileSync(`${EVIDENCE}/${name}.json`, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
}
const tag = () => randomBytes(3).toString('hex');

/** Login + open the editor + title + one paragraph + Publish, as a person does it. */
function publishActions(title: string, text: string): unknown[] {
  return [
    { type: 'fill', selector: '#user_login', value: ADMIN, input: 'user' },
    { type: 'fill', selector: '#user_pass', value: PASSWORD, input: 'password', secret: true },
    { type: 'click', selector: '#wp-submit' },
    { type: 'waitFor', url: '**/wp-admin/' },
    { type: 'goto', url: `${WP}/wp-admin/post-new.php` },
    { type: 'fill', selector: 'role=textbox[name="Add title"]', value: title, input: 'title' },
    { type: 'click', selector: 'role=button[name="Add default block"]' },
    { type: 'fill', selector: 'p[data-type="core/paragraph"]', value: text, input: 'content' },
    { type: 'click', selector: '.editor-post-publish-panel__toggle' },
    { type: 'click', selector: '.editor-post-publish-panel .editor-post-publish-button' },
    { type: 'waitFor', selector: 'text=is now live' },
  ];
}

describe('realworld: WordPress 6.1 (block editor, REST nonce in inline JS)', function () {
  this.timeout(600_000);
  let app: TestApp;
  let wf: Workflow;
  const recorded = { title: `Recorded post ${tag()}`, content: `Recorded text ${tag()}` };
  /** Titles each run wrote, to check later runs did not overwrite them. */
  const written: Array<{ title: string; content: string }> = [];

  const run = async (workflowId: string, body: Record<string, unknown>, name: string): Promise<Answer<Run>> => {
    const a = await api<Run>(app.url, `/v1/workflows/${workflowId}/runs`, { body: { wait: 120, ...body } });
    save(`run-${name}`, { status: a.status, body: a.json ?? a.text });
    expect(a.text, 'a secret never comes back').not.to.include(PASSWORD);
    return a;
  };
  /** What the app's own data says about a run's title, saved before any assertion. */
  const db = (name: string, title: string) => {
    const rows = sql(`SELECT ID, post_status, post_title FROM wp_posts WHERE post_type='post' AND post_status<>'auto-draft' ORDER BY ID`);
    save(`db-${name}`, { title, statuses: statusesOf(title), posts: rows });
  };
  const earlierWritesIntact = () => {
    expect(published(recorded.title), 'the recorded post is still there, untouched').to.equal(1);
    for (const w of written) expect(published(w.title), `an earlier run's post "${w.title}" is untouched`).to.equal(1);
  };

  before(async function () {
    this.timeout(1_200_000);
    setup('install');
    setup('start');
    setup('reset');
    app = await startTestApp({ poolMax: 1 });
  });
  after(async () => {
    await app?.close();
  });

  it('a1. records login + publish in the block editor through the API', async function () {
    const start = await api(app.url, '/v1/recordings', {
      body: { startUrl: `${WP}/wp-login.php`, actions: publishActions(recorded.title, recorded.content), name: 'wordpress publish' },
    });
    save('recording-start', start.json ?? start.text);
    expect(start.status, start.text).to.equal(201);
    const stop = await api<{ workflow: Workflow; recording: unknown }>(app.url, `/v1/recordings/${start.json.id}/stop`, { method: 'POST' });
    save('recording-stop', stop.json ?? stop.text);
    expect(stop.status, stop.text).to.equal(201);
    wf = stop.json.workflow;
    save('workflow', wf);
    const har = await fetch(`${app.url}/v1/recordings/${wf.recordingId}/har`);
    save('recording-har', await har.text());
    expect(published(recorded.title), 'the recording itself published the post').to.equal(1);
  });

  it('a2. the learned inputs are the ones a person would name: user, password, title, content', function () {
    if (!wf) this.skip();
    const names = wf.inputs.map((i) => i.name);
    expect(wf.inputs.find((i) => i.name === 'password')?.secret, 'the password is a secret input').to.equal(true);
    for (const i of wf.inputs) expect(i.name, 'no token or app constant is an input').not.to.match(/nonce|token|_wp|post_?id|^id$|locale|status|testcookie|redirect|submit/i);
    expect(names, `learned inputs: ${JSON.stringify(wf.inputs.map((i) => [i.name, i.default]))}`).to.have.members(['user', 'password', 'title', 'content']);
  });

  it('a3. the write is learned with its dynamic values traced: X-WP-Nonce and the auto-draft id; the user name stays out of URLs', function () {
    if (!wf) this.skip();
    const write = wf.steps.find((s) => s.request.method === 'POST' && /\/wp-json\/wp\/v2\/posts\//.test(s.request.url));
    expect(write, `steps: ${wf.steps.map((s) => s.description).join(' | ')}`).to.exist;
    const nonce = write!.request.headers.find((h) => h.name.toLowerCase() === 'x-wp-nonce');
    expect(nonce?.value, 'X-WP-Nonce is templated').to.match(/\{\{.+\}\}/);
    // post-new.php creates a new auto-draft each time; a literal id would overwrite the recorded post.
    expect(write!.request.url, 'the post id in the URL comes from the editor page, not the recording').to.match(/\/posts\/\{\{.+\}\}/);
    const creates = wf.steps.find((s) => s.request.method === 'GET' && /\/wp-admin\/post-new\.php/.test(s.request.url));
    expect(creates, 'GET /wp-admin/post-new.php (it creates the auto-draft) is a step').to.exist;
    // "admin" typed as the user name is not the "admin" of /wp-admin/.
    const login = wf.steps.find((s) => s.request.method === 'POST' && /wp-login\.php/.test(s.request.url));
    const fields = login?.request.body?.kind === 'form' ? login.request.body.fields : [];
    expect(fields.find((f) => f.name === 'redirect_to')?.value ?? '', 'redirect_to of the login').not.to.include('{{user}}');
    expect(wf.steps.length, `steps: ${wf.steps.map((s) => s.description).join(' | ')}`).to.be.at.most(6);
  });

  it('b. runs at HTTP level with new inputs: a new post, the recorded one untouched', async function () {
    if (!wf) this.skip();
    const w = { title: `HTTP post ${tag()}`, content: `HTTP text ${tag()}` };
    const a = await run(wf.id, { inputs: { title: w.title, content: w.content }, mode: 'http' }, 'b-http');
    db('b-http', w.title);
    if (published(w.title) === 1) written.push(w); // whatever the run says, later runs must leave it alone
    expect(a.status, a.text).to.equal(200);
    expect(a.json.status, JSON.stringify(a.json.error)).to.equal('succeeded');
    expect(a.json.mode).to.equal('http');
    expect(published(w.title), `statuses: ${statusesOf(w.title)}`).to.equal(1);
    expect(contentOf(w.title)[0]).to.include(w.content);
    earlierWritesIntact();
  });

  it('c. after logout-all, an auto run repairs the session (hybrid, honest) and publishes', async function () {
    if (!wf) this.skip();
    const out = setup('logout-all');
    expect(out).to.match(/logged out/);
    const w = { title: `After logout ${tag()}`, content: `Repaired text ${tag()}` };
    const a = await run(wf.id, { inputs: { title: w.title, content: w.content } }, 'c-auto-after-logout');
    db('c-auto-after-logout', w.title);
    if (published(w.title) === 1) written.push(w); // whatever the run says, later runs must leave it alone
    expect(a.status, a.text).to.equal(200);
    expect(a.json.status, JSON.stringify(a.json.error)).to.equal('succeeded');
    // The stored session is dead: the run repairs it (hybrid, with the first cause), or, when it had no
    // session to reuse, logs in over HTTP and says nothing was repaired (http, login steps run).
    expect(a.json.mode, 'the mode that really ran').to.be.oneOf(['hybrid', 'http']);
    if (a.json.mode === 'hybrid') expect(a.json.fallback?.reason, 'the first cause of the repair').to.be.a('string').and.not.equal('');
    else for (const id of wf.session?.bootstrapSteps ?? []) expect(a.json.steps.find((s) => s.id === id)?.status, `login step ${id} ran`).to.equal('succeeded');
    expect(published(w.title), `statuses: ${statusesOf(w.title)}`).to.equal(1);
    expect(contentOf(w.title)[0]).to.include(w.content);
    earlierWritesIntact();
  });

  it('d. browser mode with new inputs publishes the new post, the recorded one untouched', async function () {
    if (!wf) this.skip();
    const w = { title: `Browser post ${tag()}`, content: `Browser text ${tag()}` };
    const a = await run(wf.id, { inputs: { title: w.title, content: w.content }, mode: 'browser' }, 'd-browser');
    db('d-browser', w.title);
    if (published(w.title) === 1) written.push(w); // whatever the run says, later runs must leave it alone
    expect(a.status, a.text).to.equal(200);
    expect(a.json.status, JSON.stringify(a.json.error)).to.equal('succeeded');
    expect(a.json.mode).to.equal('browser');
    expect(published(w.title), `statuses: ${statusesOf(w.title)}`).to.equal(1);
    expect(contentOf(w.title)[0]).to.include(w.content);
    earlierWritesIntact();
  });

  it('e. a Chrome-sanitized export of the recording: verified success, or a clear error naming what is missing', async function () {
    if (!wf) this.skip();
    const recordingId = wf.recordingId!;
    const res = await fetch(`${app.url}/v1/recordings/${recordingId}/har`);
    expect(res.status).to.equal(200);
    type Message = { headers?: Array<{ name: string; value: string }>; cookies?: unknown[] };
    const har = (await res.json()) as { log: { entries: Array<{ request: Message; response: Message }> } };
    for (const e of har.log.entries) {
      for (const m of [e.request, e.response]) {
        m.headers = (m.headers ?? []).filter((h) => !/^(cookie|set-cookie|authorization)$/i.test(h.name));
        m.cookies = [];
      }
    }
    const up = await fetch(`${app.url}/v1/hars?name=${encodeURIComponent('wordpress sanitized')}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(har) });
    const upText = await up.text();
    save('e-upload', upText);
    expect(up.status, upText.slice(0, 500)).to.equal(201);
    const learned = (JSON.parse(upText) as { workflow: Workflow }).workflow;
    save('e-workflow', learned);

    const w = { title: `From HAR ${tag()}`, content: `HAR text ${tag()}` };
    // Give each learned input the value it stands for; a redacted password comes back as a secret input.
    const inputs: Record<string, string> = {};
    for (const i of learned.inputs) {
      if (i.default === recorded.title) inputs[i.name] = w.title;
      else if (typeof i.default === 'string' && i.default.includes(recorded.content)) inputs[i.name] = String(i.default).split(recorded.content).join(w.content);
      else if (i.secret || /pass|pwd/i.test(i.name)) inputs[i.name] = PASSWORD;
      else if (i.default === ADMIN || /^(log|user)/i.test(i.name)) inputs[i.name] = ADMIN;
    }
    save('e-inputs', { names: learned.inputs.map((i) => ({ name: i.name, secret: i.secret, required: i.required, default: i.secret ? undefined : i.default })), given: Object.keys(inputs) });
    const a = await run(learned.id, { inputs, mode: 'http' }, 'e-sanitized-har');
    db('e-sanitized-har', w.title);
    if (published(w.title) === 1) written.push(w); // whatever the run says, later runs must leave it alone
    // Never a silent wrong answer: succeeded means the post is there.
    if (a.status === 200 && a.json.status === 'succeeded') expect(published(w.title), 'run says succeeded: the post must be there').to.equal(1);
    // The password was redacted in the HAR: it must be a required secret input named after its field,
    // not a value taken from somewhere else.
    const pwd = learned.inputs.find((i) => /pwd|pass/i.test(i.name));
    expect(pwd, `the redacted password is an input; learned: ${JSON.stringify(learned.inputs.map((i) => i.name))}; pwd variable: ${JSON.stringify(learned.variables.find((v) => v.name === 'pwd'))}`).to.exist;
    expect(pwd!.secret, 'the password input is secret').to.equal(true);
    expect(pwd!.required, 'the password input is required (nothing to default to)').to.equal(true);
    if (a.status >= 400) {
      expect(a.status, a.text).to.be.within(400, 499);
      expect(a.json as unknown as { error: { code: string; message: string } }).to.have.nested.property('error.code').that.matches(/^[a-z_]+$/);
      return;
    }
    expect(a.status, a.text).to.equal(200);
    if (a.json.status === 'succeeded') {
      expect(published(w.title), `run says succeeded: the post must be there (statuses: ${statusesOf(w.title)})`).to.equal(1);
      earlierWritesIntact();
    } else {
      expect(a.json.status).to.equal('failed');
      expect(a.json.error?.code, 'a clear error code').to.match(/^[a-z_]+$/);
      expect(a.json.error?.message, 'the message names what is missing').to.match(/password|pwd|redact|missing/i);
      expect(published(w.title), 'a failed run wrote nothing').to.equal(0);
    }
  });

  it('f. the admin is demoted to contributor (Publish becomes "Submit for Review"): runs fail with a code, nothing is published', async function () {
    if (!wf) this.skip();
    const caps = sql(`SELECT meta_value FROM wp_usermeta WHERE user_id=1 AND meta_key='wp_capabilities'`)[0]![0]!;
    sql(`UPDATE wp_usermeta SET meta_value='a:1:{s:11:"contributor";b:1;}' WHERE user_id=1 AND meta_key='wp_capabilities'`);
    sql(`UPDATE wp_usermeta SET meta_value='1' WHERE user_id=1 AND meta_key='wp_user_level'`);
    try {
      for (const mode of ['auto', 'browser'] as const) {
        const w = { title: `Demoted ${mode} ${tag()}`, content: `Should not be published ${tag()}` };
        const a = await run(wf.id, { inputs: { title: w.title, content: w.content }, mode }, `f-demoted-${mode}`);
        db(`f-demoted-${mode}`, w.title);
        expect(a.status, a.text).to.equal(200);
        expect(published(w.title), `${mode}: nothing is published (statuses: ${statusesOf(w.title)})`).to.equal(0);
        expect(a.json.status, `${mode}: ${JSON.stringify({ mode: a.json.mode, error: a.json.error, output: a.json.output?.status })}`).to.equal('failed');
        expect(a.json.error?.code, `${mode}: a clear code`).to.match(/^[a-z_]+$/);
      }
      earlierWritesIntact();
    } finally {
      sql(`UPDATE wp_usermeta SET meta_value=${q(caps)} WHERE user_id=1 AND meta_key='wp_capabilities'`);
      sql(`UPDATE wp_usermeta SET meta_value='10' WHERE user_id=1 AND meta_key='wp_user_level'`);
    }
  });
});
