import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext } from 'playwright';
import { fixtureFlow, playActions, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';

const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};

/** Re-checks a condition on the server side until it holds (beacons arrive asynchronously). */
async function eventually(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('fixture site in real Chromium', () => {
  let site: FixtureSite;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 200 });
    browser = await chromium.launch(LAUNCH);
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await site?.close();
  });

  it('runs the scripted flow: logs in, searches, creates and reads back an item', async () => {
    site.resetCounters();
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const setCookieHeaders: string[] = [];
    page.on('response', (r) => {
      void r.headerValue('set-cookie').then((v) => v && setCookieHeaders.push(v));
    });
    const polls = page.waitForResponse((r) => r.url().endsWith('/api/notifications') && r.status() === 200, { timeout: 30_000 });

    await playActions(page, fixtureFlow(site, { title: 'Browser-made item' }));

    expect(await page.locator('#item .title').textContent()).to.equal('Browser-made item');
    expect(pageErrors).to.deep.equal([]);
    expect(await page.locator('#results li').count()).to.be.greaterThan(0);
    const created = site.items().filter((i) => i.title === 'Browser-made item');
    expect(created).to.have.length(1);
    expect(created[0]!.owner).to.equal('alice');
    expect(await page.locator('#item').getAttribute('data-id')).to.equal(created[0]!.id);

    const cookies = await context.cookies(site.url);
    expect(cookies.find((c) => c.name === 'ui_theme')?.value).to.equal('dark');
    expect(cookies.find((c) => c.name === 'sid')?.httpOnly).to.equal(true);
    expect(setCookieHeaders.some((h) => h.includes('ui_theme'))).to.equal(false);
    await polls;

    const n = site.counters();
    expect(n['POST /login']).to.equal(1);
    expect(n['GET /api/search']).to.equal(1);
    expect(n['POST /api/items']).to.equal(1);
    expect(n['GET /api/items/:id']).to.equal(1);
    for (const asset of ['app.css', 'app.js', 'logo.png', 'font.woff2']) expect(n[`GET /static/${asset}`], asset).to.be.at.least(1);
    expect(n['GET /api/notifications']).to.be.at.least(1);

    await eventually('beacons and pixels on the analytics origin', () => {
      const a = site.analyticsCounters();
      // One page view beacon and one pixel for /login and for /app each.
      return (a['POST /collect'] ?? 0) >= 2 && (a['GET /pixel.gif'] ?? 0) >= 2;
    });
  });

  it('passes the JS login challenge in a browser', async () => {
    site.setLoginChallenge(true);
    try {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const loginOnly = fixtureFlow(site).slice(0, 5);
      expect(loginOnly.at(-1)).to.deep.equal({ type: 'waitFor', url: '**/app' });
      await playActions(page, loginOnly);
      expect(await page.title()).to.equal('App');
      const cookies = await context.cookies(site.url);
      expect(cookies.find((c) => c.name === 'js_challenge')?.value).to.match(/:ok$/);
    } finally {
      site.setLoginChallenge(false);
    }
  });
});
