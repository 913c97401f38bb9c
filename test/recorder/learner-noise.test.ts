import { expect } from 'chai';
import type { Action, Workflow } from '../../core/index.js';
import { learn } from '../../recorder/learner/index.js';
import { formPost, har, html, json, jsonPost, ORIGIN, type Ex } from './learner-har-builder.js';

const seal = (s: string): string => `sealed(${s.length})`;
const learnOf = (exs: Ex[], actions: Action[] = []): Workflow => learn(har(exs), { actions, sealSecret: seal, id: 'wf_n', now: () => new Date(0) });

const ACTIONS: Action[] = [
  { type: 'goto', url: `${ORIGIN}/login` },
  { type: 'fill', selector: '#u', value: 'carol', input: 'username' },
  { type: 'fill', selector: '#p', value: 'secret-77', input: 'password', secret: true },
  { type: 'fill', selector: '#t', value: 'Weekly report', input: 'title' },
];

/** A small logged-in workflow: login page, login, create (CSRF from the app page), read back. */
function core(tag = 'a1b2c3d4'): Ex[] {
  return [
    { url: `${ORIGIN}/login`, ...html(`<input type="hidden" name="authenticity_token" value="at_${tag}">`), resourceType: 'document' },
    { url: `${ORIGIN}/login`, post: formPost({ authenticity_token: `at_${tag}`, username: 'carol', password: 'secret-77' }), location: `${ORIGIN}/app`, setCookies: { _sess: `s_${tag}` } },
    { url: `${ORIGIN}/app`, cookies: { _sess: `s_${tag}` }, ...html(`<meta name="csrf-token" content="csrf_${tag}"><title>App</title>`), resourceType: 'document' },
    { url: `${ORIGIN}/api/docs`, post: jsonPost({ title: 'Weekly report' }), cookies: { _sess: `s_${tag}` }, reqHeaders: { 'X-CSRF-Token': `csrf_${tag}` }, status: 201, ...json({ id: `doc_${tag}` }), resourceType: 'fetch' },
    { url: `${ORIGIN}/api/docs/doc_${tag}`, cookies: { _sess: `s_${tag}` }, ...json({ id: `doc_${tag}`, title: 'Weekly report' }), resourceType: 'fetch' },
  ];
}

const NOISE: Ex[] = [
  { url: `${ORIGIN}/assets/app.css`, mime: 'text/css', body: 'body{}', resourceType: 'stylesheet' },
  { url: `${ORIGIN}/assets/app.js?v=123456`, mime: 'application/javascript', body: 'var x="doc_zzzzzzzz";' },
  { url: `${ORIGIN}/img/logo`, mime: 'image/png', body: '' },
  { url: `${ORIGIN}/fonts/a.woff2`, mime: 'font/woff2' },
  { url: 'https://www.google-analytics.com/g/collect?v=2&tid=G-XYZ&cid=555.666', status: 204 },
  { url: 'https://www.googletagmanager.com/gtm.js?id=GTM-1', mime: 'application/javascript', body: '' },
  { url: 'https://stats.g.doubleclick.net/r/collect?v=1', status: 200, mime: 'image/gif' },
  { url: 'https://static.criteo.net/js/ld/publishertag.js', mime: 'text/javascript' },
  { url: 'https://connect.facebook.net/en_US/fbevents.js', mime: 'text/javascript' },
  { url: 'https://api.segment.io/v1/t', post: jsonPost({ event: 'x' }), ...json({ success: true }) },
  { url: 'https://script.hotjar.com/modules.js', mime: 'application/javascript' },
  { url: `${ORIGIN}/beacon`, post: { mime: 'text/plain;charset=UTF-8', text: '{"e":"view"}' }, status: 204 },
  { url: `${ORIGIN}/pixel?e=1`, mime: 'image/gif' },
  { method: 'OPTIONS', url: `${ORIGIN}/api/docs`, reqHeaders: { 'Access-Control-Request-Method': 'POST' }, status: 204 },
  { url: `${ORIGIN}/api/aborted`, status: 0 },
  { url: 'data:image/png;base64,iVBORw0KGgo=', mime: 'image/png' },
  { url: 'chrome-extension://abcdef/content.js', mime: 'text/javascript' },
  { url: 'https://widgets.other-site.net/api/config', ...json({ widget: 'on', key: 'wk_998877665544' }) },
];

function polls(n: number): Ex[] {
  return Array.from({ length: n }, () => ({ url: `${ORIGIN}/api/notifications`, ...json({ count: 0, latest: 'n_000000' }), resourceType: 'fetch' }));
}

/** The parts of a workflow the noise must not change. */
const chain = (wf: Workflow): unknown => ({ steps: wf.steps, variables: wf.variables, inputs: wf.inputs, session: wf.session, output: wf.output, origins: wf.origins });

describe('learner: noise', () => {
  const base = core();

  it('learns the core workflow exactly', () => {
    const wf = learnOf(base, ACTIONS);
    expect(wf.steps.map((s) => [s.id, s.description, s.bootstrap, s.redirects])).to.deep.equal([
      ['s1', 'GET /login', true, 0],
      ['s2', 'POST /login → /app', true, 1],
      ['s3', 'POST /api/docs', false, 0],
      ['s4', 'GET /api/docs/{{id}}', false, 0],
    ]);
    expect(wf.variables.map((v) => [v.name, v.source.kind === 'extract' ? `${v.source.step}:${v.source.extractor.type}` : v.source.kind])).to.deep.equal([
      ['authenticity_token', 's1:html_input'],
      ['username', 'input'],
      ['password', 'input'],
      ['csrf_token', 's2:html_meta'],
      ['title', 'input'],
      ['id', 's3:json'],
    ]);
    expect(wf.session?.cookies).to.deep.equal(['_sess']);
    expect(wf.session?.tokens).to.deep.equal(['authenticity_token', 'csrf_token']);
  });

  it('drops every kind of noise without changing the learned chain', () => {
    const clean = learnOf(base, ACTIONS);
    const noisy = [...NOISE.slice(0, 6), base[0]!, ...polls(2), base[1]!, base[2]!, ...NOISE.slice(6, 12), ...polls(2), base[3]!, ...NOISE.slice(12), base[4]!, ...polls(3)];
    const wf = learnOf(noisy, ACTIONS);
    expect(chain(wf)).to.deep.equal(chain(clean));
    expect(wf.stats.entries).to.equal(noisy.length);
    expect(wf.stats.kept).to.equal(4);
    expect(wf.stats.dropped).to.deep.equal({ static: 4, analytics: 9, preflight: 1, failed: 1, non_http: 2, polling: 7, third_party: 1, merged_redirect: 1 });
  });

  it('renaming values nothing depends on does not change the chain', () => {
    const a = [...base.slice(0, 3), { url: `${ORIGIN}/api/unrelated`, ...json({ token: 'ut_11112222' }) }, ...base.slice(3)];
    const b = [...base.slice(0, 3), { url: `${ORIGIN}/api/unrelated`, ...json({ token: 'ut_renamed_99' }) }, ...base.slice(3)];
    expect(chain(learnOf(a, ACTIONS))).to.deep.equal(chain(learnOf(b, ACTIONS)));
    expect(chain(learnOf(a, ACTIONS))).to.deep.equal(chain(learnOf(base, ACTIONS)));
  });

  it('keeps polled or third-party responses when a kept step needs a value from them', () => {
    const exs: Ex[] = [
      { url: 'https://auth.partner.io/api/ticket', ...json({ ticket: 'tkt_55443322' }) },
      ...polls(3).map((p, i) => ({ ...p, ...json({ cursor: 'cur_777888999' }), at: 1000 + i })),
      { url: `${ORIGIN}/api/redeem?ticket=tkt_55443322&cursor=cur_777888999`, ...json({ ok: true }), at: 2000 },
    ];
    const wf = learnOf(exs);
    expect(wf.steps.map((s) => s.description)).to.deep.equal(['GET /api/ticket', 'GET /api/notifications', 'GET /api/redeem']);
    expect(wf.origins).to.deep.equal(['https://auth.partner.io', ORIGIN]);
  });

  it('counts a poll cut off by the end of the recording (no body recorded) as polling, a changed answer not', () => {
    const cutOff = har([...base, ...polls(3)]);
    const last = cutOff.log.entries.at(-1)!;
    last.response.content = { size: -1, mimeType: 'application/json' };
    last.response.bodySize = -1;
    const wf = learn(cutOff, { actions: ACTIONS, sealSecret: seal, id: 'wf_n', now: () => new Date(0) });
    expect(wf.stats.dropped.polling).to.equal(3);

    const changed = [...base, ...polls(2), { url: `${ORIGIN}/api/notifications`, ...json({ count: 1, latest: 'n_000001' }), resourceType: 'fetch' as const }];
    expect(learnOf(changed, ACTIONS).stats.dropped.polling).to.equal(undefined);
  });

  it('is deterministic', () => {
    const noisy = [...NOISE, ...base, ...polls(4)];
    const one = learnOf(noisy, ACTIONS);
    const two = learnOf(JSON.parse(JSON.stringify(noisy)) as Ex[], ACTIONS);
    expect(JSON.stringify(one)).to.equal(JSON.stringify(two));
  });

  it('never writes a secret in clear', () => {
    const text = JSON.stringify(learnOf([...NOISE, ...base], ACTIONS));
    for (const secret of ['secret-77', 's_a1b2c3d4', 'csrf_a1b2c3d4', 'at_a1b2c3d4']) expect(text).to.not.include(secret);
  });
});

describe('learner: target and leniency', () => {
  it('does not take a poll that ran only twice, the second time after the last action, as the target', () => {
    const [a, b, c, d, e] = core();
    const wf = learnOf([a!, b!, c!, ...polls(1), d!, e!, ...polls(1)], ACTIONS);
    expect(wf.steps.map((s) => s.description).pop()).to.equal('GET /api/docs/{{id}}');
  });

  it('learns entries that lack optional fields (no headers, cookies, content, timings or response)', () => {
    const file = har(core());
    const sparse = file.log.entries as unknown as Array<Record<string, any>>;
    delete sparse[0]!.request.headers;
    delete sparse[0]!.request.cookies;
    delete sparse[0]!.startedDateTime;
    sparse[1]!.response.redirectURL = null;
    delete sparse[4]!.timings;
    delete sparse[4]!.response.content.size;
    sparse.push({ request: { method: 'GET', url: `${ORIGIN}/api/never-answered` } });
    sparse.push({ request: { url: 'not a url' }, response: { status: 200 } });
    sparse.push({});
    const wf = learn(file, { actions: ACTIONS, sealSecret: seal, id: 'wf_n', now: () => new Date(0) });
    expect(wf.steps.map((s) => s.description)).to.deep.equal(['GET /login', 'POST /login → /app', 'POST /api/docs', 'GET /api/docs/{{id}}']);
    expect(wf.stats.dropped).to.deep.include({ failed: 1, non_http: 2 });
  });

  it('reports a HAR with nothing to learn as learn_failed', () => {
    expect(() => learn({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [] } }, { sealSecret: seal })).to.throw(/no request that completed/).with.property('code', 'learn_failed');
  });

  it('rejects what is not a HAR as invalid_har', () => {
    expect(() => learn({} as never, { sealSecret: seal })).to.throw().with.property('code', 'invalid_har');
  });

  it('names a target that is not there as learn_failed', () => {
    expect(() => learn(har(core()), { sealSecret: seal, target: { urlIncludes: '/nowhere' } })).to.throw().with.property('code', 'learn_failed');
  });
});

describe('learner: service workers', () => {
  it('drops the copy of a request a service worker served when the network fetch is also recorded', () => {
    const file = har([...core(), { url: `${ORIGIN}/api/docs/doc_a1b2c3d4`, ...json({ id: 'doc_a1b2c3d4', title: 'Weekly report' }), resourceType: 'fetch' }]);
    const sw = file.log.entries[4]!;
    sw.response._fetchedViaServiceWorker = true;
    const wf = learn(file, { actions: ACTIONS, sealSecret: seal, id: 'wf_n', now: () => new Date(0) });
    expect(wf.stats.dropped.service_worker).to.equal(1);
    expect(wf.steps.map((s) => s.description).pop()).to.equal('GET /api/docs/{{id}}');
  });
});
