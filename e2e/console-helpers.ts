import { expect, test, type Page } from '@playwright/test';
import type { Workflow } from '../core/index.js';
import { fixtureFlow, type FixtureSite } from '../test/fixtures/site/index.js';

/**
 * Where the console tests put their screenshots: test-results/console by default (a test run
 * leaves the tree as it was); `CONSOLE_SHOTS_DIR=docs/console` refreshes the README's pictures.
 */
export const SHOTS_DIR = process.env.CONSOLE_SHOTS_DIR || 'test-results/console';

/** One call to the API with `key`, as a script outside the console would make it. */
export async function keyedApi<T>(base: string, key: string, path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<{ status: number; json: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
}

/** Learns the fixture site's workflow the way users do: a scripted recording through the API with `key`. */
export async function recordFixture(base: string, key: string, site: Pick<FixtureSite, 'url'>, name: string): Promise<Workflow> {
  const start = await keyedApi<{ id: string }>(base, key, '/v1/recordings', { startUrl: `${site.url}/login`, actions: fixtureFlow(site).slice(1), name });
  expect(start.status).toBe(201);
  const stop = await keyedApi<{ workflow: Workflow }>(base, key, `/v1/recordings/${start.json.id}/stop`, {});
  expect(stop.status).toBe(201);
  return stop.json.workflow;
}

/** Signs the console in with `key`, as a person does, and waits for the workflows page. */
export async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/console/`);
  await expect(page).toHaveURL(/#\/sign-in$/);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/#\/workflows$/);
}

/** The console must work under the server's strict CSP: registers hooks that fail a test on any violation its page reports. */
export function failOnCspViolations(): void {
  let violations: string[] = [];
  test.beforeEach(async ({ page }) => {
    violations = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
  });
  test.afterEach(() => {
    expect(violations).toEqual([]);
  });
}
