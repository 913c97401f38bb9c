import { test, expect } from '@playwright/test';

// Proves playwright.config.ts loads and its launch settings (from browser-pool) start Chromium.
test('the configured Chromium opens a page', async ({ page, browserName }) => {
  expect(browserName).toBe('chromium');
  await page.goto('data:text/html,<title>pool launch</title><h1>ok</h1>');
  await expect(page).toHaveTitle('pool launch');
  await expect(page.locator('h1')).toHaveText('ok');
});
