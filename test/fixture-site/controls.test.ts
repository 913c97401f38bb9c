import { expect } from 'chai';
import { SiteClient, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';

describe('fixture site: counters, failure injection, controls, analytics origin', () => {
  let site: FixtureSite;

  before(async () => {
    site = await startFixtureSite();
  });
  after(async () => {
    await site.close();
  });

  const control = (path: string, json?: unknown): Promise<Response> =>
    fetch(`${site.url}/__control${path}`, json === undefined
      ? { method: path === '/counters' || path === '/analytics-counters' || path === '/items' ? 'GET' : 'POST' }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });

  it('counts every request by method and route pattern, static assets included, controls excluded', async () => {
    site.resetCounters();
    const c = new SiteClient(site.url);
    await c.login();
    await c.request('/static/app.js');
    await c.request('/static/logo.png');
    await c.request('/api/items/itm_5eed0001');
    await c.request('/api/items/itm_5eed0002');
    await c.request('/nowhere');
    await control('/counters');
    expect(site.counters()).to.deep.equal({
      'GET /login': 1,
      'POST /login': 1,
      'GET /static/app.js': 1,
      'GET /static/logo.png': 1,
      'GET /api/items/:id': 2,
      'GET *': 1,
    });
    site.resetCounters();
    expect(site.counters()).to.deep.equal({});
  });

  it('serves assets with their types', async () => {
    const c = new SiteClient(site.url);
    const expectations: Array<[string, RegExp, (b: Buffer) => boolean]> = [
      ['/static/app.css', /^text\/css/, (b) => b.toString().includes('@font-face')],
      ['/static/app.js', /^text\/javascript/, (b) => b.toString().includes("document.cookie = 'ui_theme=dark; path=/'")],
      ['/static/logo.png', /^image\/png$/, (b) => b.subarray(1, 4).toString() === 'PNG'],
      ['/static/font.woff2', /^font\/woff2$/, (b) => b.subarray(0, 4).toString() === 'wOF2'],
    ];
    for (const [path, type, check] of expectations) {
      const res = await c.request(path);
      expect(res.status, path).to.equal(200);
      expect(res.headers.get('content-type'), path).to.match(type);
      expect(check(Buffer.from(await res.arrayBuffer())), path).to.equal(true);
    }
  });

  it('failNext answers the given status (with Retry-After) for exactly `count` hits, before auth', async () => {
    site.resetCounters();
    const c = new SiteClient(site.url);
    site.failNext('GET /api/items/:id', { status: 429, count: 2, retryAfterS: 7 });
    for (let i = 0; i < 2; i++) {
      const res = await c.request('/api/items/itm_5eed0001');
      expect(res.status).to.equal(429);
      expect(res.headers.get('retry-after')).to.equal('7');
      expect(await res.json()).to.include({ error: 'rate_limited' });
    }
    const third = await c.request('/api/items/itm_5eed0001');
    expect(third.status).to.equal(401); // normal handling again: no session
    expect(site.counters()['GET /api/items/:id']).to.equal(3);

    site.failNext('POST /login', { status: 503, count: 1 });
    const login = await c.login();
    expect(login.status).to.equal(503);
    expect(login.headers.get('retry-after')).to.equal(null);
    expect(login.headers.get('content-type')).to.match(/^text\/html/);
    expect((await c.login()).status).to.equal(302);
  });

  it('drives everything through the /__control endpoints', async () => {
    const c = new SiteClient(site.url);
    await c.login();
    expect((await control('/reset')).status).to.equal(200);

    await c.request('/api/notifications');
    const counters = (await (await control('/counters')).json()) as Record<string, number>;
    expect(counters).to.deep.equal({ 'GET /api/notifications': 1 });

    expect((await control('/fail', { route: 'GET /api/search', status: 500, count: 1, retryAfterS: 3 })).status).to.equal(200);
    const failed = await c.request('/api/search?q=a');
    expect(failed.status).to.equal(500);
    expect(failed.headers.get('retry-after')).to.equal('3');

    expect((await control('/search-variant', { variant: 'html' })).status).to.equal(200);
    expect((await c.request('/api/search?q=a')).headers.get('content-type')).to.match(/^text\/html/);

    expect((await control('/challenge', { on: true })).status).to.equal(200);
    expect(await (await c.request('/login')).text()).to.include('id="challenge"');

    expect((await control('/ttl', { ms: 0 })).status).to.equal(200);
    expect((await c.request('/api/notifications')).status).to.equal(401);
    expect((await control('/ttl', { ms: 60_000 })).status).to.equal(200);
    await c.login('alice', 's3cret-pass', true);
    expect((await c.request('/api/notifications')).status).to.equal(200);

    expect((await control('/revoke')).status).to.equal(200);
    expect((await c.request('/api/notifications')).status).to.equal(401);

    const items = (await (await control('/items')).json()) as Array<{ id: string }>;
    expect(items.map((i) => i.id)).to.include('itm_5eed0001');

    // reset: switches back to defaults (challenge off, JSON search), pending failures dropped.
    await control('/fail', { route: 'GET /login', status: 503, count: 5 });
    expect((await control('/reset')).status).to.equal(200);
    expect(await (await control('/counters')).json()).to.deep.equal({});
    expect((await c.login()).status).to.equal(302);
    expect((await c.request('/api/search?q=a')).headers.get('content-type')).to.match(/^application\/json/);

    for (const [path, body] of [
      ['/challenge', { on: 'yes' }],
      ['/fail', { route: 'nope', status: 500, count: 1 }],
      ['/fail', { route: 'GET /x' }],
      ['/search-variant', { variant: 'xml' }],
      ['/ttl', { ms: -1 }],
      ['/release', { csrfHeader: 'Authorization' }],
      ['/release', { loginFields: { username: 'u', password: 'u' } }],
      ['/release', { itemTitleField: 'id' }],
      ['/release', { shipIt: true }],
    ] as const) {
      const res = await control(path, body);
      expect(res.status, path).to.equal(400);
      expect(await res.json()).to.include({ error: 'bad_request' });
    }
  });

  it('a release renames the item title field, the CSRF header and the login fields, adds a hidden login field, removes the app page; reset undoes it', async () => {
    const c = new SiteClient(site.url);
    expect((await control('/release', { itemTitleField: 'name', csrfHeader: 'X-XSRF-Token', loginFields: { username: 'login[name]', password: 'login[pass]' }, loginFormBuildId: true })).status).to.equal(200);
    const page = await (await c.request('/login')).text();
    expect(page).to.match(/name="login\[name\]"/).and.to.match(/name="login\[pass\]"/).and.to.match(/name="form_build_id" value="form-[0-9a-f]{16}-/);
    expect((await c.login()).status, 'the old field names no longer log in').to.equal(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const buildId = /name="form_build_id" value="([^"]+)"/.exec(page)![1]!;
    const noBuildId = await c.request('/login', { form: { _csrf: csrf, return_to: '/app', 'login[name]': 'alice', 'login[pass]': 's3cret-pass' } });
    expect(await noBuildId.text()).to.include('The form has become outdated');
    expect((await c.request('/login', { form: { _csrf: csrf, return_to: '/app', form_build_id: buildId, 'login[name]': 'alice', 'login[pass]': 's3cret-pass' } })).status).to.equal(302);
    const app = await (await c.request('/app')).text();
    expect(app).to.include('data-csrf-header="X-XSRF-Token"').and.to.include('data-title-field="name"');
    const token = /name="csrf-token" content="([^"]+)"/.exec(app)![1]!;
    const post = (header: string) => c.request('/api/items', { method: 'POST', headers: { [header]: token }, json: { title: 'released' } });
    expect((await post('X-CSRF-Token')).status, 'the old header is refused').to.equal(403);
    const made = await post('X-XSRF-Token');
    expect(made.status).to.equal(201);
    expect(Object.keys((await made.json()) as object)).to.deep.equal(['id', 'name', 'owner', 'createdAt']);
    expect((await control('/release', { appPageGone: true })).status).to.equal(200);
    expect((await c.request('/app')).status).to.equal(404);
    expect((await control('/reset')).status).to.equal(200);
    expect((await c.request('/app')).status).to.equal(200);
    expect(await (await c.request('/login')).text()).to.match(/name="username"/).and.not.to.include('form_build_id');
  });

  it('runs an analytics origin with CORS for the site only', async () => {
    site.resetCounters();
    const pre = await fetch(`${site.analyticsUrl}/collect`, {
      method: 'OPTIONS',
      headers: { origin: site.url, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).to.equal(204);
    expect(pre.headers.get('access-control-allow-origin')).to.equal(site.url);
    expect(pre.headers.get('access-control-allow-credentials')).to.equal('true');

    const beacon = await fetch(`${site.analyticsUrl}/collect`, { method: 'POST', headers: { origin: site.url }, body: '{"event":"x"}' });
    expect(beacon.status).to.equal(204);
    const pixel = await fetch(`${site.analyticsUrl}/pixel.gif?page=x`, { headers: { origin: 'http://evil.example' } });
    expect(pixel.headers.get('content-type')).to.equal('image/gif');
    expect(pixel.headers.get('access-control-allow-origin')).to.equal(null);
    expect(Buffer.from(await pixel.arrayBuffer()).subarray(0, 3).toString()).to.equal('GIF');

    expect(site.analyticsCounters()).to.deep.equal({ 'OPTIONS /collect': 1, 'POST /collect': 1, 'GET /pixel.gif': 1 });
    expect(site.counters()).to.deep.equal({});
  });
});
