import { expect } from 'chai';
import type { Workflow } from '../../core/index.js';
import { SecretBox } from '../../core/index.js';
import { learn } from '../../recorder/learner/index.js';
import { entry, json } from './learner-har-builder.js';
import { recordFixtureFlow, type FixtureRecording } from './learner-recording.js';

/** The value of a cookie some response of the recording set, read from the raw HAR. */
function setCookieValue(rec: FixtureRecording, name: string): string | undefined {
  for (const e of rec.har.log.entries) for (const c of e.response.cookies ?? []) if (c.name === name) return c.value;
  return undefined;
}

function hiddenValues(rec: FixtureRecording): string[] {
  const out: string[] = [];
  for (const e of rec.har.log.entries) {
    const text = e.response.content.text ?? '';
    for (const m of text.matchAll(/(?:name="_csrf" value|name="csrf-token" content)="([^"]+)"/g)) out.push(m[1]!);
  }
  return out;
}

describe('learner: a real recording of the fixture site', function () {
  this.timeout(120_000);
  let rec: FixtureRecording;
  let wf: Workflow;
  const box = new SecretBox(Buffer.alloc(32, 7));

  before(async () => {
    rec = await recordFixtureFlow();
    wf = learn(rec.har, { actions: rec.actions, sealSecret: (s) => box.seal(s), name: 'fixture flow', recordingId: 'rec_1', id: 'wf_fixture', now: () => new Date('2026-01-01T00:00:00Z') });
  });

  it('keeps exactly login page, login (redirect to /app collapsed), search, create and read-back', () => {
    const itemId = (wf.variables.find((v) => v.name === 'id')?.recorded ?? '') as string;
    expect(itemId).to.match(/^itm_/);
    expect(wf.steps.map((s) => [s.id, s.description, s.bootstrap, s.redirects, s.stateChanging, s.expect.status])).to.deep.equal([
      ['s1', 'GET /login', true, 0, false, 200],
      ['s2', 'POST /login → /app', true, 1, true, 200],
      ['s3', 'GET /api/search', false, 0, false, 200],
      ['s4', 'POST /api/items', false, 0, true, 201],
      ['s5', 'GET /api/items/{{id}}', false, 0, false, 200],
    ]);
    expect(wf.output).to.deep.equal({ step: 's5' });
    // the login form's page and its fields as recorded: a failed login on a changed form is drift
    expect(wf.steps[1]!.form).to.deep.equal({ page: 's1', fields: ['_csrf', 'return_to', 'username', 'password'] });
    expect(wf.steps.filter((s) => s.form).map((s) => s.id), 'JSON submits have no form').to.deep.equal(['s2']);
    expect(wf.origins).to.deep.equal([rec.siteUrl]);
    expect(wf.startUrl).to.equal(`${rec.siteUrl}/login`);
  });

  it('traces every value: hidden _csrf, meta csrf-token, item id; typed values as inputs', () => {
    const byName = new Map(wf.variables.map((v) => [v.name, v]));
    expect([...byName.keys()]).to.deep.equal(['csrf', 'return_to', 'username', 'password', 'query', 'limit', 'csrf_token', 'title', 'id']);
    expect(byName.get('csrf')!.source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'html_input', name: '_csrf' } });
    expect(byName.get('csrf_token')!.source).to.deep.equal({ kind: 'extract', step: 's2', extractor: { type: 'html_meta', name: 'csrf-token' } });
    expect(byName.get('csrf_token')!.description).to.equal('header X-CSRF-Token of s4 ← meta[name=csrf-token] in the response of s2 (POST /login → /app)');
    expect(byName.get('id')!.source).to.deep.equal({ kind: 'extract', step: 's4', extractor: { type: 'json', path: '$.id' } });
    const [s1, s2, s3, s4, s5] = wf.steps;
    expect(s1!.request.url).to.equal(`${rec.siteUrl}/login`);
    expect(s2!.request.body).to.deep.equal({
      kind: 'form',
      mimeType: 'application/x-www-form-urlencoded',
      fields: [
        { name: '_csrf', value: '{{csrf}}' },
        { name: 'return_to', value: '{{return_to}}' },
        { name: 'username', value: '{{username}}' },
        { name: 'password', value: '{{password}}' },
      ],
    });
    expect(s3!.request.url).to.equal(`${rec.siteUrl}/api/search?q={{query}}&limit={{limit}}`);
    expect(s4!.request.headers).to.deep.include({ name: 'X-CSRF-Token', value: '{{csrf_token}}' });
    expect(s4!.request.body).to.deep.include({ kind: 'json', template: { title: '{{title}}' } });
    expect(s5!.request.url).to.equal(`${rec.siteUrl}/api/items/{{id}}`);
    expect(s5!.expect.jsonKeys).to.deep.equal(['createdAt', 'id', 'owner', 'title']);
    expect(wf.outputSchema).to.have.nested.property('properties.id.type', 'string');
  });

  it('makes the typed values inputs with defaults, the password secret and sealed', () => {
    expect(wf.inputs.map((i) => [i.name, i.origin, i.secret, i.default])).to.deep.equal([
      ['username', 'typed', false, 'alice'],
      ['password', 'typed', true, undefined],
      ['query', 'typed', false, 'apple'],
      ['title', 'typed', false, 'My new item'],
    ]);
    // The search page size nobody typed is the app's constant, listed and promotable.
    expect(wf.variables.find((v) => v.name === 'limit')!.source).to.deep.equal({ kind: 'constant', value: '10' });
    const pw = wf.inputs.find((i) => i.name === 'password')!;
    expect(box.open(pw.defaultSealed!)).to.equal('s3cret-pass');
    expect(wf.actions.find((a) => a.input === 'password')!.value).to.equal('[REDACTED]');
  });

  it('describes the session: Set-Cookie sid, bootstrap steps, login URL, the JS-set ui_theme', () => {
    expect(wf.session).to.deep.include({ bootstrapSteps: ['s1', 's2'], cookies: ['sid'], loginUrl: `${rec.siteUrl}/login`, needsBrowser: false });
    expect(wf.session!.tokens).to.deep.equal(['csrf', 'return_to', 'csrf_token']);
    const js = wf.session!.jsCookies;
    expect(js.map(({ valueSealed, ...c }) => c)).to.deep.equal([{ name: 'ui_theme', domain: '127.0.0.1', path: '/' }]);
    expect(box.open(js[0]!.valueSealed!)).to.equal('dark');
    expect(wf.session!.brokenStatuses).to.deep.equal([401, 403, 419, 440]);
    expect(wf.session!.brokenPatterns).to.include('invalid csrf');
    for (const s of wf.steps) expect(s.request.headers.map((h) => h.name.toLowerCase())).to.not.include('cookie');
  });

  it('drops the noise and writes no secret in clear', () => {
    expect(Object.keys(wf.stats.dropped).sort()).to.deep.equal(['analytics', 'merged_redirect', 'polling', 'static']);
    expect(wf.stats.dropped.polling).to.be.greaterThanOrEqual(3);
    expect(wf.stats.entries).to.equal(rec.har.log.entries.length);
    const text = JSON.stringify(wf);
    expect(text).to.not.include(rec.analyticsUrl);
    const sid = setCookieValue(rec, 'sid');
    expect(sid).to.be.a('string');
    const secrets = [sid!, 's3cret-pass', ...hiddenValues(rec)];
    expect(secrets.length).to.be.greaterThanOrEqual(4);
    for (const s of secrets) expect(text).to.not.include(s);
  });

  it('learns the same chain again, and the same chain with noise spliced in', () => {
    const opts = { actions: rec.actions, sealSecret: (x: string) => `sealed(${x.length})`, id: 'wf_fixture', now: () => new Date(0) };
    const plain = learn(rec.har, opts);
    expect(JSON.stringify(learn(structuredClone(rec.har), opts))).to.equal(JSON.stringify(plain));
    const noise = [
      entry({ url: 'https://www.google-analytics.com/g/collect?v=2&tid=G-1', status: 204 }, 0),
      entry({ url: `${rec.siteUrl}/static/extra.css`, mime: 'text/css', body: 'a{}' }, 0),
      entry({ method: 'OPTIONS', url: `${rec.siteUrl}/api/items`, status: 204 }, 0),
      entry({ url: 'https://cdn.elsewhere.net/config.json', ...json({ build: 'b_8877665544' }) }, 0),
      entry({ url: `${rec.siteUrl}/api/cancelled`, status: 0 }, 0),
    ];
    const noisy = structuredClone(rec.har);
    const n = noisy.log.entries.length;
    noise.forEach((e, i) => {
      const at = Math.floor(((i + 1) * n) / (noise.length + 1));
      e.startedDateTime = noisy.log.entries[at]!.startedDateTime;
      noisy.log.entries.splice(at + i, 0, e);
    });
    const wf2 = learn(noisy, opts);
    const chain = (w: Workflow): unknown => ({ steps: w.steps, variables: w.variables, inputs: w.inputs.map((i) => ({ ...i, defaultSealed: undefined })), session: w.session, output: w.output, origins: w.origins });
    expect(chain(wf2)).to.deep.equal(chain(plain));
    expect(wf2.stats.entries).to.equal(n + noise.length);
  });
});
