import { expect } from 'chai';
import type { Page } from 'playwright';
import { AppError, type Action } from '../../core/index.js';
import { BrowserPool, performAction, type Lease } from '../../browser-pool/index.js';
import { quiet, startSite } from './helpers.js';

describe('browser-pool: performAction', function () {
  this.timeout(60_000);
  let site: Awaited<ReturnType<typeof startSite>>;
  let pool: BrowserPool;
  let lease: Lease;
  let page: Page;

  before(async () => {
    site = await startSite();
    const { logger, registry } = quiet();
    pool = new BrowserPool({ logger, registry, max: 1 });
    lease = await pool.lease();
    page = await lease.context.newPage();
  });

  after(async () => {
    await lease?.release();
    await pool?.drain();
    await site?.close();
  });

  it('replays goto, fill, select, press, click and waitFor on a local page', async () => {
    const actions: Action[] = [
      { type: 'goto', url: `${site.url}/form` },
      { type: 'fill', selector: '#user', value: 'recorded-name' },
      { type: 'select', selector: 'select[name=color]', value: 'blue' },
      { type: 'press', selector: '#q', key: 'Enter' },
      { type: 'waitFor', selector: 'text=entered' },
      { type: 'click', selector: 'role=button[name="Log in"]' },
      { type: 'waitFor', url: '**/done?*' },
      { type: 'waitFor', selector: '#done' },
    ];
    for (const a of actions) await performAction(page, a, { timeoutMs: 10_000, value: a.type === 'fill' ? 'alice' : undefined });
    expect(new URL(page.url()).searchParams.get('user')).to.equal('alice');
    expect(await page.textContent('#done')).to.equal('Welcome alice blue');
  });

  it('fails with action_failed naming the type and selector, never the value', async () => {
    await performAction(page, { type: 'goto', url: `${site.url}/form` });
    const err = await performAction(page, { type: 'fill', selector: '#missing', value: 's3cret-value' }, { timeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('action_failed');
    expect((err as AppError).message).to.include('fill').and.include('#missing').and.not.include('s3cret-value');
    expect((err as AppError).cause).to.equal(undefined);

    const nav = await performAction(page, { type: 'goto', url: 'http://127.0.0.1:1/nothing' }).then(() => undefined, (e: unknown) => e);
    expect(nav).to.be.instanceOf(AppError).with.property('code', 'action_failed');
    expect((nav as AppError).message).to.include('goto').and.include('http://127.0.0.1:1/nothing');
  });

  it('refuses a selector that matches several visible elements instead of acting on the first; hidden duplicates do not count', async () => {
    const rows = (hidden: boolean) => `<ul>
      <li>Invoice A <button onclick="window.deleted = 'A'">Delete</button></li>
      <li${hidden ? ' style="display:none"' : ''}>Invoice B <button onclick="window.deleted = 'B'">Delete</button></li>
    </ul><input name="q" style="display:none"><input name="q">`;
    // a page of its own: the one before may still be showing a failed navigation's error page
    const page = await lease.context.newPage();
    await page.setContent(rows(false));
    const click = await performAction(page, { type: 'click', selector: 'role=button[name="Delete"]' }, { timeoutMs: 2_000 }).then(() => undefined, (e: unknown) => e);
    expect(click).to.be.instanceOf(AppError).with.property('code', 'action_failed');
    expect((click as AppError).message).to.include('matches 2 visible elements').and.include('nothing was done');
    expect((click as AppError).details?.[0]).to.include({ path: 'selector', matches: 2 });
    expect(await page.evaluate(() => (window as unknown as { deleted?: string }).deleted)).to.equal(undefined);

    // The same page with the second row hidden: the one visible match is the one meant.
    await page.setContent(rows(true));
    await performAction(page, { type: 'click', selector: 'role=button[name="Delete"]' }, { timeoutMs: 2_000 });
    expect(await page.evaluate(() => (window as unknown as { deleted?: string }).deleted)).to.equal('A');
    // A hidden input before the visible one: filled is the visible one.
    await performAction(page, { type: 'fill', selector: 'input[name=q]', value: 'x' }, { timeoutMs: 2_000 });
    expect(await page.locator('input[name=q]').nth(1).inputValue()).to.equal('x');
    expect(await page.locator('input[name=q]').nth(0).inputValue()).to.equal('');

    // waitFor is satisfied by any visible match, even after a hidden first one.
    await page.setContent('<p class="m" style="display:none">a</p><p class="m">b</p>');
    await performAction(page, { type: 'waitFor', selector: '.m' }, { timeoutMs: 2_000 });
    await page.close();
  });

  it('rejects malformed actions with invalid_action', async () => {
    const err = await performAction(page, { type: 'click' }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(AppError).with.property('code', 'invalid_action');
    const err2 = await performAction(page, { type: 'waitFor' }).then(() => undefined, (e: unknown) => e);
    expect(err2).to.be.instanceOf(AppError).with.property('code', 'invalid_action');
  });
});
