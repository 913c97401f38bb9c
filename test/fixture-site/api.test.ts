import { expect } from 'chai';
import { SiteClient, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';

describe('fixture site: JSON API and sessions', () => {
  let site: FixtureSite;
  let alice: SiteClient;
  let csrf: string;

  before(async () => {
    site = await startFixtureSite({ users: { alice: 's3cret-pass', bob: 'hunter2' } });
    alice = new SiteClient(site.url);
    expect((await alice.login()).status).to.equal(302);
    csrf = await alice.appCsrf();
  });
  after(async () => {
    await site.close();
  });

  it('answers 401 JSON on every API route without a session', async () => {
    const anon = new SiteClient(site.url);
    const calls: Array<[string, Parameters<SiteClient['request']>[1]]> = [
      ['/api/search?q=apple', {}],
      ['/api/items', { json: { title: 'x' } }],
      ['/api/items/itm_5eed0001', {}],
      ['/api/notifications', {}],
    ];
    for (const [path, init] of calls) {
      const res = await anon.request(path, init);
      expect(res.status, path).to.equal(401);
      expect(await res.json()).to.deep.equal({ error: 'unauthorized', message: 'Please log in' });
    }
  });

  it('searches the seeded items with a limit', async () => {
    const res = await alice.request('/api/search?q=apple&limit=10');
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { query: string; results: Array<{ id: string; title: string }>; total: number };
    expect(body.query).to.equal('apple');
    expect(body.results.map((r) => r.title)).to.include.members(['apple pie', 'apple crumble']);
    expect(body.results.every((r) => /^itm_[0-9a-f]{8}$/.test(r.id) && r.title.includes('apple'))).to.equal(true);
    expect(body.total).to.equal(body.results.length);

    const one = (await (await alice.request('/api/search?q=apple&limit=1')).json()) as typeof body;
    expect(one.results).to.have.length(1);
    expect(one.total).to.equal(body.total);
    const none = (await (await alice.request('/api/search?q=zzzz')).json()) as typeof body;
    expect(none).to.deep.equal({ query: 'zzzz', results: [], total: 0 });
  });

  it('answers an HTML page from /api/search after the site "changed"', async () => {
    site.setSearchVariant('html');
    try {
      const res = await alice.request('/api/search?q=apple&limit=10');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(await res.text()).to.include('apple pie');
    } finally {
      site.setSearchVariant('json');
    }
    expect((await alice.request('/api/search?q=apple')).headers.get('content-type')).to.match(/^application\/json/);
  });

  it('rejects POST /api/items without the session CSRF token (403 csrf_mismatch)', async () => {
    const before = site.items().length;
    const bob = new SiteClient(site.url);
    await bob.login('bob', 'hunter2');
    const bobCsrf = await bob.appCsrf();
    expect(bobCsrf).not.to.equal(csrf);
    const attempts: Array<Record<string, string>> = [{}, { 'x-csrf-token': 'nope' }, { 'x-csrf-token': bobCsrf }];
    for (const headers of attempts) {
      const res = await alice.request('/api/items', { json: { title: 'sneaky' }, headers });
      expect(res.status).to.equal(403);
      expect(await res.json()).to.include({ error: 'csrf_mismatch' });
    }
    expect(site.items()).to.have.length(before);
  });

  it('rejects a missing or empty title with 400', async () => {
    for (const json of [{}, { title: '' }, { title: '   ' }, { title: 42 }]) {
      const res = await alice.request('/api/items', { json, headers: { 'x-csrf-token': csrf } });
      expect(res.status, JSON.stringify(json)).to.equal(400);
      expect(await res.json()).to.have.property('error');
    }
  });

  it('creates an item and reads it back', async () => {
    const res = await alice.request('/api/items', { json: { title: 'Quince jam' }, headers: { 'x-csrf-token': csrf } });
    expect(res.status).to.equal(201);
    const item = (await res.json()) as { id: string; title: string; owner: string; createdAt: string };
    expect(item.id).to.match(/^itm_[0-9a-f]{8}$/);
    expect(item).to.include({ title: 'Quince jam', owner: 'alice' });
    expect(Number.isNaN(Date.parse(item.createdAt))).to.equal(false);
    expect(site.items()).to.deep.include({ id: item.id, title: 'Quince jam', owner: 'alice' });

    const back = await alice.request(`/api/items/${item.id}`);
    expect(back.status).to.equal(200);
    expect(await back.json()).to.deep.equal(item);
    const found = (await (await alice.request('/api/search?q=quince')).json()) as { results: Array<{ id: string }> };
    expect(found.results.map((r) => r.id)).to.deep.equal([item.id]);

    const missing = await alice.request('/api/items/itm_00000000');
    expect(missing.status).to.equal(404);
    expect(await missing.json()).to.include({ error: 'not_found' });
  });

  it('answers the notifications poll', async () => {
    const res = await alice.request('/api/notifications');
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ count: 0 });
  });

  it('expires sessions on demand with setSessionTtl', async () => {
    const c = new SiteClient(site.url);
    const idle = new SiteClient(site.url);
    await c.login();
    await idle.login();
    expect((await c.request('/api/notifications')).status).to.equal(200);
    site.setSessionTtl(0);
    try {
      expect((await c.request('/api/notifications')).status).to.equal(401);
      const app = await c.request('/app');
      expect(app.status).to.equal(302);
      expect(app.headers.get('location')).to.equal('/login');
    } finally {
      site.setSessionTtl(30 * 60_000);
    }
    // Expired stays expired (also a session nobody used meanwhile), and a new login works again.
    expect((await c.request('/api/notifications')).status).to.equal(401);
    expect((await idle.request('/api/notifications')).status).to.equal(401);
    await c.login();
    expect((await c.request('/api/notifications')).status).to.equal(200);
  });

  it('takes the session lifetime from the sessionTtlMs option', async () => {
    const shortLived = await startFixtureSite({ sessionTtlMs: 0 });
    try {
      const c = new SiteClient(shortLived.url);
      expect((await c.login()).status).to.equal(302);
      expect((await c.request('/api/notifications')).status).to.equal(401);
    } finally {
      await shortLived.close();
    }
  });

  it('revokes every session at once', async () => {
    const a = new SiteClient(site.url);
    const b = new SiteClient(site.url);
    await a.login();
    await b.login('bob', 'hunter2');
    expect((await a.request('/api/notifications')).status).to.equal(200);
    expect((await b.request('/api/notifications')).status).to.equal(200);
    site.revokeAllSessions();
    expect((await a.request('/api/notifications')).status).to.equal(401);
    expect((await b.request('/api/notifications')).status).to.equal(401);
  });
});
