import { test, expect } from '@playwright/test';
import type { Workflow } from '../core/index.js';
import { startTestApp, type TestApp } from '../test/helpers/test-app.js';
import { failOnCspViolations, keyedApi, recordFixture, signIn, SHOTS_DIR } from './console-helpers.js';
import { startFixtureSite, type FixtureSite } from '../test/fixtures/site/index.js';

// Versions and self-healing in the console, as a person meets them: the site renames its CSRF
// header, a run from the form falls back to the browser, the page says so live and shows the
// healed version waiting with its changes; the person promotes it, compares, rolls back and
// switches the heal policy. Real API, Redis, browser pool and Chromium.
const KEY = 'console-heal-key';

let app: TestApp;
let site: FixtureSite;
let workflow: Workflow;

test.use({ viewport: { width: 1280, height: 900 } });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  site = await startFixtureSite({ pollIntervalMs: 60_000 });
  app = await startTestApp({ apiKeys: [KEY] });
  workflow = await recordFixture(app.url, KEY, site, 'Fixture: heal me');
});

failOnCspViolations();

test.afterAll(async () => {
  await app?.close();
  await site?.close();
});

test('the site changes: the run falls back, the healed version waits; promote it, see the changes, roll back, set the policy', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, app.url, KEY);
  await page.getByRole('link', { name: workflow.name }).click();
  const versions = page.locator('section', { has: page.getByRole('heading', { name: 'Versions and self-healing' }) });
  await expect(versions.getByRole('table', { name: /Versions of this workflow/ }).locator('tbody tr')).toHaveCount(1);
  await expect(versions.getByLabel('When the site changes')).toHaveValue('propose');

  site.release({ csrfHeader: 'X-XSRF-Token' });
  site.revokeAllSessions();
  await page.getByLabel('title').fill('Made while the site changed');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const result = page.getByTestId('run-result');
  await expect(result.getByText('succeeded').first()).toBeVisible({ timeout: 60_000 });
  await expect(result.locator('.facts')).toContainText('browser');

  // told live: falling back, then the candidate with its changes
  await expect(versions.getByRole('status')).toContainText(/falls? back to the browser|waiting/, { timeout: 30_000 });
  const candidate = versions.getByRole('region', { name: 'A healed version is waiting' });
  await expect(candidate).toBeVisible({ timeout: 30_000 });
  await expect(candidate).toContainText('step s4: its headers changed (now x-xsrf-token; no longer x-csrf-token)');
  await expect(candidate).toContainText(/Verified: its \d read-only step/);
  await candidate.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS_DIR}/heal-candidate.png` });

  // the workflows list says a healed version waits
  await page.getByRole('link', { name: '← Workflows' }).click();
  const listed = page.getByRole('row').filter({ has: page.getByRole('link', { name: workflow.name }) });
  await expect(listed).toContainText('healed version waiting');
  await page.screenshot({ path: `${SHOTS_DIR}/heal-list.png` });
  await listed.getByRole('link', { name: workflow.name }).click();
  await expect(candidate).toBeVisible();

  await candidate.getByRole('button', { name: 'Promote it' }).click();
  await expect(versions.getByText('The healed version is current now.')).toBeVisible();
  await expect(candidate).toHaveCount(0);
  const rows = versions.getByRole('table', { name: /Versions of this workflow/ }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('v2');
  await expect(rows.first()).toContainText('current');
  await expect(rows.first()).toContainText('healed');

  // the old version: what changed since, then make it current again (a rollback is a new version)
  await rows.nth(1).getByRole('button', { name: 'Changes to v2' }).click();
  await expect(versions.getByRole('list', { name: 'Changes from v1 to v2' })).toContainText('x-xsrf-token');
  await page.screenshot({ path: `${SHOTS_DIR}/heal-versions.png` });
  await rows.nth(1).getByRole('button', { name: 'Make current' }).click();
  await expect(versions.getByText('v1 is current again (as a new version).')).toBeVisible();
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText('v3');
  await expect(rows.first()).toContainText('promoted');

  await versions.getByLabel('When the site changes').selectOption('auto');
  await expect(versions.getByText('Heal policy is now auto.')).toBeVisible();
  const stored = await keyedApi<Workflow>(app.url, KEY, `/v1/workflows/${workflow.id}`);
  expect(stored.json.heal).toBe('auto');
  site.release({ csrfHeader: 'X-CSRF-Token' });
});
