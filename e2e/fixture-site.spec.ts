import { test, expect } from '@playwright/test';
import { fixtureFlow, playActions, startFixtureSite, type FixtureSite } from '../test/fixtures/site/index.js';

// Browser launch settings (system Chromium, --no-sandbox, …) come from playwright.config.ts.
let site: FixtureSite;

test.beforeAll(async () => {
  site = await startFixtureSite({ pollIntervalMs: 250 });
});

test.afterAll(async () => {
  await site?.close();
});

test('the fixture flow works through the UI: log in, search, create, read back', async ({ page, context }) => {
  site.resetCounters();
  await playActions(page, fixtureFlow(site, { title: 'E2E item' }));

  await expect(page).toHaveTitle('App');
  await expect(page.locator('#results li').first()).toContainText('apple');
  await expect(page.locator('#created a.item-link')).toHaveText('E2E item');
  await expect(page.locator('#item .title')).toHaveText('E2E item');
  await expect(page.locator('#item .owner')).toHaveText('by alice');

  const item = site.items().find((i) => i.title === 'E2E item');
  expect(item).toMatchObject({ owner: 'alice' });
  await expect(page.locator('#item')).toHaveAttribute('data-id', item!.id);

  const cookies = await context.cookies(site.url);
  expect(cookies.find((c) => c.name === 'ui_theme')?.value).toBe('dark');
  expect(site.counters()).toMatchObject({ 'POST /login': 1, 'GET /api/search': 1, 'POST /api/items': 1, 'GET /api/items/:id': 1 });
  await expect.poll(() => site.analyticsCounters()['POST /collect'] ?? 0).toBeGreaterThanOrEqual(2);
});

test('a wrong password re-renders the form with a message', async ({ page }) => {
  const flow = fixtureFlow(site, { password: 'wrong' }).slice(0, 4);
  await playActions(page, flow);
  await expect(page.getByRole('alert')).toHaveText('Invalid username or password');
  await expect(page).toHaveTitle('Sign in');
});

test('a browser passes the JS login challenge', async ({ page }) => {
  site.setLoginChallenge(true);
  try {
    await playActions(page, fixtureFlow(site).slice(0, 5));
    await expect(page).toHaveTitle('App');
  } finally {
    site.setLoginChallenge(false);
  }
});
