import { expect } from 'chai';
import { SiteClient, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { hiddenInput } from '../fixtures/site/site-client.js';

describe('fixture site: login', () => {
  let site: FixtureSite;

  before(async () => {
    site = await startFixtureSite();
  });
  after(async () => {
    await site.close();
  });
  afterEach(() => site.setLoginChallenge(false));

  it('redirects / to /login', async () => {
    const res = await new SiteClient(site.url).request('/');
    expect(res.status).to.equal(302);
    expect(res.headers.get('location')).to.equal('/login');
  });

  it('renders the sign-in form with a CSRF token bound to a fresh anon_id cookie', async () => {
    const c = new SiteClient(site.url);
    const res = await c.request('/login');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    const setCookie = res.headers.getSetCookie().find((s) => s.startsWith('anon_id='));
    expect(setCookie).to.match(/HttpOnly/i);
    const html = await res.text();
    expect(html).to.include('<title>Sign in</title>');
    expect(html).to.include('<form method="post" action="/login"');
    expect(hiddenInput(html, '_csrf')).to.match(/^[0-9a-f]+\.[\w-]+$/);
    expect(html).to.include('<label for="username">Username</label><input id="username" name="username"');
    expect(html).to.include('<input id="password" name="password" type="password"');
    expect(html).to.include('<button type="submit">Log in</button>');
    for (const asset of ['/static/app.css', '/static/app.js', '/static/logo.png', '/static/font.woff2']) expect(html).to.include(asset);
    expect(html).to.include(`${site.analyticsUrl}/pixel.gif`);
    expect(html).not.to.include('id="challenge"');

    // A second page load keeps the cookie and issues a different token.
    const again = await c.request('/login');
    expect(again.headers.getSetCookie().some((s) => s.startsWith('anon_id='))).to.equal(false);
    expect(hiddenInput(await again.text(), '_csrf')).not.to.equal(hiddenInput(html, '_csrf'));
  });

  it('logs in: new sid cookie and a redirect to /app, which shows the user and tokens', async () => {
    const c = new SiteClient(site.url);
    const res = await c.login();
    expect(res.status).to.equal(302);
    expect(res.headers.get('location')).to.equal('/app');
    const sid = res.headers.getSetCookie().find((s) => s.startsWith('sid='));
    expect(sid).to.match(/HttpOnly/i).and.match(/Path=\//);
    const app = await c.request('/app');
    expect(app.status).to.equal(200);
    const html = await app.text();
    expect(html).to.include('<title>App</title>');
    expect(html).to.match(/<meta name="csrf-token" content="[0-9a-f]{40}">/);
    expect(html).to.include('<script id="bootstrap" type="application/json">{"user":{"name":"alice","id":7}}</script>');
    for (const id of ['id="search"', 'id="search-btn"', 'id="results"', 'id="title"', 'id="create-btn"', 'id="created"', 'id="item"']) {
      expect(html).to.include(id);
    }

    const other = new SiteClient(site.url);
    await other.login();
    expect(other.cookies.get('sid')).to.be.a('string').and.not.equal(c.cookies.get('sid'));
  });

  it('answers a wrong password with 200 and the form again, without a session', async () => {
    const c = new SiteClient(site.url);
    const res = await c.login('alice', 'wrong');
    expect(res.status).to.equal(200);
    const html = await res.text();
    expect(html).to.include('Invalid username or password');
    expect(html).to.include('<title>Sign in</title>');
    expect(c.cookies.has('sid')).to.equal(false);
    expect((await c.request('/app')).status).to.equal(302);
  });

  it('rejects a missing, forged or foreign CSRF token with 403', async () => {
    const c = new SiteClient(site.url);
    const token = hiddenInput(await (await c.request('/login')).text(), '_csrf')!;
    const creds = { username: 'alice', password: 's3cret-pass' };

    const missing = await c.request('/login', { form: creds });
    expect(missing.status).to.equal(403);
    expect(await missing.text()).to.include('Invalid CSRF token');

    const forged = await c.request('/login', { form: { ...creds, _csrf: `${token.split('.')[0]}.AAAA` } });
    expect(forged.status).to.equal(403);

    // A valid token, but issued for another visitor's anon_id.
    const stranger = new SiteClient(site.url);
    await stranger.request('/login');
    const foreign = await stranger.request('/login', { form: { ...creds, _csrf: token } });
    expect(foreign.status).to.equal(403);
    expect(c.cookies.has('sid') || stranger.cookies.has('sid')).to.equal(false);

    const good = await c.request('/login', { form: { ...creds, _csrf: token } });
    expect(good.status).to.equal(302);
  });

  it('redirects /app to /login without a session', async () => {
    const res = await new SiteClient(site.url).request('/app');
    expect(res.status).to.equal(302);
    expect(res.headers.get('location')).to.equal('/login');
  });

  describe('JS challenge', () => {
    it('embeds a fresh nonce per page load while on', async () => {
      site.setLoginChallenge(true);
      const c = new SiteClient(site.url);
      const a = /data-nonce="([^"]+)"/.exec(await (await c.request('/login')).text())?.[1];
      const b = /data-nonce="([^"]+)"/.exec(await (await c.request('/login')).text())?.[1];
      expect(a).to.be.a('string');
      expect(b).to.be.a('string').and.not.equal(a);
    });

    it('makes an HTTP-only login fail with 200 "Please enable JavaScript"', async () => {
      site.setLoginChallenge(true);
      const c = new SiteClient(site.url);
      const res = await c.login('alice', 's3cret-pass', false);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.include('Please enable JavaScript');
      expect(c.cookies.has('sid')).to.equal(false);
    });

    it('lets a login with the computed cookie through, once', async () => {
      site.setLoginChallenge(true);
      const c = new SiteClient(site.url);
      const res = await c.login('alice', 's3cret-pass', true);
      expect(res.status).to.equal(302);
      expect(c.cookies.has('sid')).to.equal(true);

      // Replaying the recorded cookie against a newer page fails: the answer is bound to the nonce.
      const replay = new SiteClient(site.url);
      const page = await (await replay.request('/login')).text();
      replay.cookies.set('js_challenge', c.cookies.get('js_challenge')!);
      const again = await replay.request('/login', { form: { _csrf: hiddenInput(page, '_csrf')!, username: 'alice', password: 's3cret-pass' } });
      expect(again.status).to.equal(200);
      expect(await again.text()).to.include('Please enable JavaScript');
    });

    it('needs no cookie once switched off', async () => {
      site.setLoginChallenge(false);
      const c = new SiteClient(site.url);
      expect((await c.login('alice', 's3cret-pass', false)).status).to.equal(302);
    });
  });
});
