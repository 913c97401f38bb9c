import { expect } from 'chai';
import type { Action, Variable, Workflow } from '../../core/index.js';
import { learn, type LearnOptions } from '../../recorder/learner/index.js';
import { formPost, har, html, json, jsonPost, ORIGIN, T0, type Ex } from './learner-har-builder.js';

const seal = (s: string): string => `sealed(${s.length})`;

function learnOf(exs: Ex[], opts: Partial<LearnOptions> = {}): Workflow {
  return learn(har(exs), { sealSecret: seal, id: 'wf_test', now: () => new Date(0), ...opts });
}

function variable(wf: Workflow, name: string): Variable {
  const v = wf.variables.find((x) => x.name === name);
  if (!v) throw new Error(`no variable ${name}; have ${wf.variables.map((x) => x.name).join(', ')}`);
  return v;
}

function lastStep(wf: Workflow) {
  return wf.steps[wf.steps.length - 1]!;
}

describe('learner: correlation sources', () => {
  it('traces a path segment to a JSON path in an earlier response', () => {
    const wf = learnOf([
      { url: `${ORIGIN}/api/orders`, ...json({ data: { items: [{ id: 'ord_77812', total: 12 }] } }) },
      { url: `${ORIGIN}/api/orders/ord_77812`, ...json({ id: 'ord_77812', lines: [] }) },
    ]);
    expect(wf.steps.map((s) => s.description)).to.deep.equal(['GET /api/orders', 'GET /api/orders/{{id}}']);
    expect(lastStep(wf).request.url).to.equal(`${ORIGIN}/api/orders/{{id}}`);
    const v = variable(wf, 'id');
    expect(v.source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'json', path: '$.data.items[0].id' } });
    expect(v.recorded).to.equal('ord_77812');
    expect(v.description).to.equal('path segment 2 of s2 ← JSON $.data.items[0].id in the response of s1 (GET /api/orders)');
  });

  it('does not take a constant background GET after the result (a one-off poll) as the target', () => {
    const wf = learnOf([
      { url: `${ORIGIN}/api/orders`, ...json({ data: { items: [{ id: 'ord_77812', total: 12 }] } }) },
      { url: `${ORIGIN}/api/orders/ord_77812`, ...json({ id: 'ord_77812', lines: [] }) },
      { url: `${ORIGIN}/api/notifications`, ...json({ count: 0 }) },
    ]);
    expect(wf.steps.map((s) => s.description)).to.deep.equal(['GET /api/orders', 'GET /api/orders/{{id}}']);
    expect(wf.output.step).to.equal('s2');
  });

  it('traces a form field to a hidden input and a header to a meta tag', () => {
    const wf = learnOf([
      { url: `${ORIGIN}/checkout`, ...html('<html><head><meta name="csrf-token" content="mt_7c1d2e3f4a5b"><title>Pay</title></head><form><input type="hidden" name="form_key" value="fk_9f8e7d6c"></form></html>') },
      { url: `${ORIGIN}/checkout/submit`, post: formPost({ form_key: 'fk_9f8e7d6c' }), reqHeaders: { 'X-CSRF-Token': 'mt_7c1d2e3f4a5b' }, ...json({ ok: true }) },
    ]);
    const s2 = lastStep(wf);
    expect(s2.request.body).to.deep.equal({ kind: 'form', mimeType: 'application/x-www-form-urlencoded', fields: [{ name: 'form_key', value: '{{form_key}}' }] });
    expect(s2.request.headers).to.deep.include({ name: 'X-CSRF-Token', value: '{{csrf_token}}' });
    expect(variable(wf, 'form_key').source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'html_input', name: 'form_key' } });
    const csrf = variable(wf, 'csrf_token');
    expect(csrf.source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'html_meta', name: 'csrf-token' } });
    expect(csrf.secret).to.equal(true);
    expect(csrf).to.not.have.property('recorded');
    expect(wf.steps[0]!.expect.htmlTitle).to.equal('Pay');
  });

  it('traces a value to inline JSON in a script with a regex whose first match is that value', () => {
    const body = '<html><script>window.__STATE__ = {"user":{"name":"Al"},"sessionHint":"sh_12345678"};</script></html>';
    const wf = learnOf([
      { url: `${ORIGIN}/app`, ...html(body) },
      { url: `${ORIGIN}/api/feed?hint=sh_12345678`, ...json({ feed: [] }) },
    ]);
    const v = variable(wf, 'session_hint');
    expect(v.source.kind).to.equal('extract');
    const ex = (v.source as { extractor: { type: string; pattern: string; group: number } }).extractor;
    expect(ex.type).to.equal('regex');
    expect(new RegExp(ex.pattern).exec(body)?.[ex.group]).to.equal('sh_12345678');
    expect(lastStep(wf).request.url).to.equal(`${ORIGIN}/api/feed?hint={{session_hint}}`);
  });

  it('decodes JSON-escaped inline values before matching', () => {
    const body = '<script>var cfg = {"returnUrl":"https:\\/\\/shop.example.com\\/cart\\/c_998877"};</script>';
    const wf = learnOf([
      { url: `${ORIGIN}/page`, ...html(body) },
      { url: `${ORIGIN}/api/go?return=${encodeURIComponent('https://shop.example.com/cart/c_998877')}`, ...json({}) },
    ]);
    expect(variable(wf, 'return_url').source).to.have.property('kind', 'extract');
  });

  it('traces a header to a response header, and a CSRF header to Set-Cookie without templating cookies', () => {
    const wf = learnOf([
      { url: `${ORIGIN}/`, ...html('<p>home</p>'), resHeaders: [['X-Request-Token', 'rt_ab12cd34ef']], setCookies: { xsrf_cookie: 'xs_1234abcd5678' } },
      { url: `${ORIGIN}/api/cart`, post: jsonPost({ sku: 'sku-1' }), cookies: { xsrf_cookie: 'xs_1234abcd5678' }, reqHeaders: { 'X-Token': 'rt_ab12cd34ef', 'X-XSRF-TOKEN': 'xs_1234abcd5678' }, ...json({ ok: true }) },
    ]);
    const s2 = lastStep(wf);
    expect(s2.request.headers.map((h) => h.name.toLowerCase())).to.not.include('cookie');
    expect(s2.request.headers).to.deep.include({ name: 'X-Token', value: '{{x_request_token}}' });
    expect(variable(wf, 'x_request_token').source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'header', name: 'x-request-token' } });
    expect(variable(wf, 'xsrf_cookie').source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'set_cookie', name: 'xsrf_cookie' } });
    expect(variable(wf, 'xsrf_cookie').secret).to.equal(true);
    expect(JSON.stringify(wf)).to.not.include('xs_1234abcd5678');
  });

  it('traces a value to a redirect Location parameter and records redirectTo', () => {
    const wf = learnOf([
      { url: `${ORIGIN}/start`, post: formPost({ plan: 'gold' }), location: `${ORIGIN}/flow?ticket=tk_5566778899` },
      { url: `${ORIGIN}/api/tickets/tk_5566778899`, ...json({ state: 'open' }) },
    ]);
    expect(wf.steps[0]!.expect.redirectTo).to.equal('/flow?ticket=tk_5566778899');
    expect(variable(wf, 'ticket').source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'location', param: 'ticket' } });
  });

  it('collapses a redirect chain into one step and traces values to its final URL', () => {
    const wf = learnOf([
      { url: `${ORIGIN}/go`, location: `${ORIGIN}/hop` },
      { url: `${ORIGIN}/hop`, status: 301, location: `${ORIGIN}/landing/ld_998877aa` },
      { url: `${ORIGIN}/landing/ld_998877aa`, ...html('<title>Landing</title>') },
      { url: `${ORIGIN}/api/landing-data?ref=ld_998877aa`, ...json({ a: 1 }) },
    ]);
    expect(wf.steps.map((s) => [s.description, s.redirects])).to.deep.equal([
      ['GET /go → /landing/ld_998877aa', 2],
      ['GET /api/landing-data', 0],
    ]);
    expect(wf.steps[0]!.expect.status).to.equal(200);
    expect(variable(wf, 'ref').source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'url', segment: 1 } });
    expect(wf.stats.dropped.merged_redirect).to.equal(2);
  });
});

describe('learner: encodings', () => {
  it('URL-encoded and base64 variants carry a transform', () => {
    const wf = learnOf([
      { url: `${ORIGIN}/api/page`, ...json({ cursor: 'cur/ABC+def==', ctx: 'user-8812:admin' }) },
      { url: `${ORIGIN}/api/next`, reqHeaders: { 'X-Cursor': encodeURIComponent('cur/ABC+def=='), 'X-Ctx': Buffer.from('user-8812:admin').toString('base64') }, ...json({}) },
    ]);
    expect(variable(wf, 'cursor').transform).to.deep.equal({ encoding: 'url' });
    expect(variable(wf, 'ctx').transform).to.deep.equal({ encoding: 'base64' });
  });

  it('a Bearer token becomes `Bearer {{token}}` and its login step the session bootstrap', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3In0.c2lnbmF0dXJl';
    const actions: Action[] = [
      { type: 'fill', selector: '#user', value: 'alice', input: 'username' },
      { type: 'fill', selector: '#pass', value: 'hunter22', input: 'password', secret: true },
    ];
    const wf = learnOf(
      [
        { url: `${ORIGIN}/api/login`, post: jsonPost({ username: 'alice', password: 'hunter22' }), ...json({ access_token: token }) },
        { url: `${ORIGIN}/api/me`, reqHeaders: { Authorization: `Bearer ${token}` }, ...json({ id: 7 }) },
      ],
      { actions },
    );
    expect(lastStep(wf).request.headers).to.deep.include({ name: 'Authorization', value: 'Bearer {{access_token}}' });
    expect(variable(wf, 'access_token').source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'json', path: '$.access_token' } });
    expect(wf.session?.bootstrapSteps).to.deep.equal(['s1']);
    expect(wf.session?.tokens).to.deep.equal(['access_token']);
    expect(wf.steps[0]!.request.body).to.deep.equal({ kind: 'json', mimeType: 'application/json', template: { username: '{{username}}', password: '{{password}}' } });
    const text = JSON.stringify(wf);
    expect(text).to.not.include(token);
    expect(text).to.not.include('hunter22');
    expect(wf.inputs.find((i) => i.name === 'password')).to.include({ secret: true, defaultSealed: 'sealed(8)' }).and.not.have.property('default');
    expect(wf.actions[1]!.value).to.equal('[REDACTED]');
  });
});

describe('learner: guards and fallbacks', () => {
  it('does not correlate short or common values, nor values equal to a typed input', () => {
    const wf = learnOf(
      [
        { url: `${ORIGIN}/api/meta`, ...json({ code: 'abc', lang: 'en', on: 'true', fav: 'apple pie' }) },
        { url: `${ORIGIN}/api/search?code=abc&lang=en&q=apple%20pie`, ...json({ results: [] }) },
      ],
      { actions: [{ type: 'fill', selector: '#q', value: 'apple pie', input: 'q' }] },
    );
    expect(wf.variables.every((v) => v.source.kind !== 'extract')).to.equal(true);
    expect(lastStep(wf).request.url).to.equal(`${ORIGIN}/api/search?code={{code}}&lang={{lang}}&q={{q}}`);
    // With an action log, what the person did not type is the app's: listed constants, not inputs.
    expect(wf.inputs.map((i) => [i.name, i.origin, i.default])).to.deep.equal([['q', 'typed', 'apple pie']]);
    expect(wf.variables.filter((v) => v.source.kind === 'constant').map((v) => [v.name, v.source])).to.deep.equal([
      ['code', { kind: 'constant', value: 'abc' }],
      ['lang', { kind: 'constant', value: 'en' }],
    ]);
  });

  it('prefers the nearest earlier source', () => {
    const wf = learnOf([
      { url: `${ORIGIN}/api/a`, ...json({ first: 'val_0123456789' }) },
      { url: `${ORIGIN}/api/b`, ...json({ second: 'val_0123456789' }) },
      { url: `${ORIGIN}/api/c/val_0123456789`, ...json({}) },
    ]);
    const v = wf.variables.find((x) => x.source.kind === 'extract')!;
    expect(v.source).to.deep.equal({ kind: 'extract', step: 's1', extractor: { type: 'json', path: '$.second' } });
    expect(wf.steps.map((s) => s.description)).to.deep.equal(['GET /api/b', 'GET /api/c/{{second}}']);
  });

  it('marks UUIDs, timestamps and nonces no response supplied as generated', () => {
    const ts = String(T0 + 150);
    const wf = learnOf([
      {
        url: `${ORIGIN}/api/list?_=${ts}&since=${Math.floor(T0 / 1000) - 60}&nonce=Zx81kQpL0aW3`,
        reqHeaders: { 'X-Request-Id': '3f2a9c1e-7b4d-4e8f-9a6b-1c2d3e4f5a6b' },
        post: jsonPost({ at: new Date(T0 - 5000).toISOString() }),
        ...json({}),
      },
    ]);
    expect(lastStep(wf).request.url).to.equal(`${ORIGIN}/api/list?_={{value}}&since={{since}}&nonce={{nonce}}`);
    expect(variable(wf, 'value').source).to.deep.equal({ kind: 'generated', generator: 'timestamp_ms' });
    expect(variable(wf, 'since').source).to.deep.equal({ kind: 'generated', generator: 'timestamp_s' });
    expect(variable(wf, 'nonce').source).to.deep.equal({ kind: 'generated', generator: 'nonce', length: 12 });
    expect(variable(wf, 'at').source).to.deep.equal({ kind: 'generated', generator: 'iso_date' });
    expect(variable(wf, 'x_request_id').source).to.deep.equal({ kind: 'generated', generator: 'uuid' });
  });

  it('matches a short typed value only where the parameter carries the field name', () => {
    const wf = learnOf([{ url: `${ORIGIN}/api/cart?page=2&qty=2`, post: jsonPost({ quantity: 2 }), ...json({}) }], {
      actions: [{ type: 'fill', selector: 'input[name=qty]', value: '2', input: 'quantity' }],
    });
    expect(lastStep(wf).request.url).to.equal(`${ORIGIN}/api/cart?page={{page}}&qty={{quantity}}`);
    expect(lastStep(wf).request.body).to.deep.include({ template: { quantity: '{{quantity}}' } });
    expect(wf.inputs).to.deep.equal([{ name: 'quantity', type: 'number', secret: false, required: false, default: 2, description: 'typed into input[name=qty]', origin: 'typed' }]);
    expect(wf.variables.find((v) => v.name === 'page')!.source).to.deep.equal({ kind: 'constant', value: '2' });
  });

  it('turns an untraceable Authorization header into a sealed secret input', () => {
    const wf = learnOf([{ url: `${ORIGIN}/api/private`, reqHeaders: { Authorization: 'Bearer sk_live_abcdef0123456789' }, ...json({ ok: 1 }) }]);
    const input = wf.inputs.find((i) => i.name === 'authorization')!;
    expect(input).to.include({ secret: true, origin: 'request', defaultSealed: `sealed(${'Bearer sk_live_abcdef0123456789'.length})` });
    expect(lastStep(wf).request.headers).to.deep.include({ name: 'Authorization', value: '{{authorization}}' });
    expect(JSON.stringify(wf)).to.not.include('sk_live_abcdef0123456789');
    expect(wf.notes.join('\n')).to.match(/header Authorization of s1 could not be traced/);
  });

  it('makes typed numbers and booleans of JSON bodies typed inputs, and handles multipart fields', () => {
    const body = ['--XyZ', 'Content-Disposition: form-data; name="caption"', '', 'Sunset over the bay', '--XyZ', 'Content-Disposition: form-data; name="file"; filename="a.txt"', 'Content-Type: text/plain', '', 'hello', '--XyZ--', ''].join('\r\n');
    const exs: Ex[] = [
      { url: `${ORIGIN}/api/prefs`, post: jsonPost({ pageSize: 25, darkMode: false }), ...json({ ok: true }) },
      { url: `${ORIGIN}/api/upload`, post: { mime: 'multipart/form-data; boundary=XyZ', text: body }, ...json({ id: 'up_1' }) },
    ];
    const actions: Action[] = [{ type: 'fill', selector: '#caption', value: 'Sunset over the bay', input: 'caption' }];
    const prefs = learnOf(exs, { actions, target: { method: 'POST', urlIncludes: '/api/prefs' } });
    expect(prefs.steps.map((s) => s.description)).to.deep.equal(['POST /api/prefs']);
    // Nobody typed them: the app's settings stay in the body as they were, with their JSON types.
    expect(prefs.steps[0]!.request.body).to.deep.equal({ kind: 'json', mimeType: 'application/json', template: { pageSize: 25, darkMode: false } });
    expect(prefs.inputs.map((i) => i.name)).to.deep.equal(['caption']);
    const typedPrefs = learnOf(exs, { actions: [...actions, { type: 'fill', selector: '#size', value: '25', input: 'page_size' }], target: { method: 'POST', urlIncludes: '/api/prefs' } });
    expect(typedPrefs.inputs.find((i) => i.name === "page_size"), JSON.stringify([typedPrefs.inputs, typedPrefs.steps[0]!.request.body])).to.include({ type: "number", default: 25 });
    const wf = learnOf(exs, { actions });
    expect(wf.steps.map((s) => s.description)).to.deep.equal(['POST /api/upload']);
    const up = wf.steps[0]!.request.body as { kind: string; fields: Array<{ name: string; value: string; fileName?: string }> };
    expect(up.kind).to.equal('multipart');
    expect(up.fields[0]).to.deep.equal({ name: 'caption', value: '{{caption}}' });
    expect(up.fields[1]).to.include({ name: 'file', fileName: 'a.txt' });
  });

  it('lists cookies page script set as JS cookies, and needs a browser when the login carried one', () => {
    const wf = learnOf(
      [
        { url: `${ORIGIN}/login`, ...html('<form><input name="_token" value="tok_abcdef12345"></form>'), setCookies: { visitor: 'v_1234' } },
        { url: `${ORIGIN}/login`, post: formPost({ _token: 'tok_abcdef12345', user: 'bob', password: 'pw-9999' }), cookies: { visitor: 'v_1234', js_check: 'jc_42424242' }, location: `${ORIGIN}/home`, setCookies: { app_session: 'sess_0a0b0c0d0e' } },
        { url: `${ORIGIN}/home`, cookies: { visitor: 'v_1234', js_check: 'jc_42424242', app_session: 'sess_0a0b0c0d0e' }, ...html('<title>Home</title>') },
        { url: `${ORIGIN}/api/profile`, cookies: { visitor: 'v_1234', js_check: 'jc_42424242', app_session: 'sess_0a0b0c0d0e' }, ...json({ name: 'Bob' }) },
      ],
      { actions: [{ type: 'fill', selector: '#user', value: 'bob', input: 'user' }, { type: 'fill', selector: '#pw', value: 'pw-9999', input: 'password', secret: true }] },
    );
    expect(wf.steps.map((s) => [s.description, s.bootstrap])).to.deep.equal([
      ['GET /login', true],
      ['POST /login → /home', true],
      ['GET /api/profile', false],
    ]);
    expect(wf.session).to.include({ loginUrl: `${ORIGIN}/login`, needsBrowser: true });
    expect(wf.session?.cookies).to.deep.equal(['app_session']);
    expect(wf.session?.jsCookies).to.deep.equal([{ name: 'js_check', valueSealed: 'sealed(11)', domain: 'shop.example.com', path: '/' }]);
    expect(JSON.stringify(wf)).to.not.include('jc_42424242');
    expect(wf.session?.brokenStatuses).to.deep.equal([401, 403, 419, 440]);
    for (const s of wf.steps) expect(s.request.headers.map((h) => h.name.toLowerCase())).to.not.include('cookie');
    expect(JSON.stringify(wf)).to.not.include('sess_0a0b0c0d0e');
  });

  it('class 5: one value used in several places is one input, under the name of its first place', () => {
    const wf = learnOf([{ url: `${ORIGIN}/api/pages/save?page=Garden%20notes`, post: formPost({ title: 'Garden notes', text: 'Tomatoes need sun' }), ...json({ saved: true }) }]);
    expect(wf.inputs.map((i) => i.name)).to.deep.equal(['page', 'text']);
    const fields = (lastStep(wf).request.body as { fields: Array<{ name: string; value: string }> }).fields;
    expect(fields.find((f) => f.name === 'title')!.value).to.equal('{{page}}');
  });

  it('class 5: a numeric setting whose name says password is not a secret', () => {
    const wf = learnOf([{ url: `${ORIGIN}/admin/settings`, post: formPost({ password_min_length: '12', site_title: 'My site title' }), ...json({ ok: true }) }]);
    const settings = wf.inputs.filter((i) => i.secret);
    expect(settings, JSON.stringify(wf.inputs)).to.deep.equal([]);
  });
});
