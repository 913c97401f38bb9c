import { defineConfig } from '@playwright/test';
import { launchOptions } from './browser-pool/index.js';

/**
 * Browser end-to-end tests (Playwright Test). The launch settings are the pool's own
 * (executable discovery: BROWSER_EXECUTABLE, Playwright's browser, /usr/bin/chromium; the flags
 * this machine needs), so e2e tests run the same Chromium the farm does.
 */
export default defineConfig({
  testDir: './e2e',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  timeout: 60_000,
  reporter: 'list',
  use: {
    headless: true,
    launchOptions: launchOptions({ executablePath: process.env.BROWSER_EXECUTABLE || undefined }),
  },
});
