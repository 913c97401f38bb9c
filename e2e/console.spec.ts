import { gzipSync } from 'node:zlib';
import { test, expect, type Page } from '@playwright/test';
import type { Run, Workflow } from '../core/index.js';
import { startTestApp, type TestApp } from '../test/helpers/test-app.js';
import { failOnCspViolations, keyedApi, recordFixture, signIn as signInAs, SHOTS_DIR } from './console-helpers.js';
import { startFixtureSite, type FixtureSite } from '../test/fixtures/site/index.js';

// The web console as a person uses it, in real Chromium, against a real API (real Redis, real
// browser pool) that requires an API key. Launch settings come from playwright.config.ts.
const KEY = 'console-test-key';
const SHOTS = SHOTS_DIR;

let app: TestApp;
let site: FixtureSite;
let workflow: Workflow;

/** One call to the API with the key, as a script outside the console would make it. */
const api = <T>(path: string, body?: unknown, method?: string) => keyedApi<T>(app.url, KEY, path, body, method);

const signIn = (page: Page) => signInAs(page, app.url, KEY);

async function openWorkflow(page: Page): Promise<void> {
  await signIn(page);
  await page.getByRole('link', { name: workflow.name }).click();
  await expect(page.getByRole('heading', { level: 1, name: workflow.name })).toBeVisible();
}

const BROKEN_HAR = JSON.stringify({ log: { version: '1.2', creator: { name: 'test', version: '1' }, entries: [{ startedDateTime: '2026-12-03T10:00:00.000Z', time: 1, request: { method: 'GET', url: 'not a url', httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 }, response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: 'text/html' }, redirectURL: '', headersSize: -1, bodySize: 0 }, cache: {}, timings: { send: 0, wait: 1, receive: 0 } }] } });

test.use({ viewport: { width: 1280, height: 800 } });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  site = await startFixtureSite({ pollIntervalMs: 60_000 });
  app = await startTestApp({ apiKeys: [KEY] });
  workflow = await recordFixture(app.url, KEY, site, 'Fixture: create an item');
});

failOnCspViolations();

test.afterAll(async () => {
  await app?.close();
  await site?.close();
});

test('sign in: a wrong key is refused, the right one opens the console; the key is kept nowhere', async ({ page }) => {
  const res = await page.goto(`${app.url}/`);
  expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
  await expect(page).toHaveURL(/\/console\/#\/sign-in$/);
  const key = page.getByLabel('API key');
  await expect(key).toHaveAttribute('type', 'password');

  await key.fill('not-the-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('not accepted');
  await expect(page).toHaveURL(/#\/sign-in$/);
  await page.screenshot({ path: `${SHOTS}/sign-in.png` });

  await key.fill(KEY);
  await key.press('Enter');
  await expect(page).toHaveURL(/#\/workflows$/);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  expect(page.url()).not.toContain(KEY);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  expect(stored).not.toContain(KEY);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/#\/sign-in$/);
  await page.goto(`${app.url}/console/#/runs`);
  await expect(page).toHaveURL(/#\/sign-in$/);
});

test('the workflows list shows the learned workflow', async ({ page }) => {
  await signIn(page);
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: workflow.name }) });
  await expect(row).toBeVisible();
  await expect(row.getByRole('cell').nth(1)).toHaveText(String(workflow.steps.length));
  for (const input of workflow.inputs) await expect(row).toContainText(input.name);
  await page.screenshot({ path: `${SHOTS}/workflows.png` });
});

test('the workflow page shows its steps, where values come from, inputs (secrets hidden) and a curl line', async ({ page }) => {
  await openWorkflow(page);
  const steps = page.getByRole('table', { name: 'Steps', exact: true });
  for (const s of workflow.steps) {
    const row = steps.getByRole('row').filter({ has: page.getByRole('rowheader', { name: s.id, exact: true }) });
    await expect(row).toContainText(s.request.method);
  }
  await expect(steps.getByText('logs in').first()).toBeVisible();
  await expect(steps.getByText('changes state').first()).toBeVisible();
  await expect(steps.getByText('output')).toHaveCount(1);

  const sources = page.getByRole('table', { name: 'Where values come from' });
  const extracted = workflow.variables.find((v) => v.source.kind === 'extract')!;
  expect(extracted, 'the fixture workflow carries an extracted value').toBeTruthy();
  const row = sources.getByRole('row').filter({ has: page.getByRole('rowheader', { name: extracted.name }) });
  const from = (extracted.source as { step: string }).step;
  await expect(row.getByRole('cell').first()).toContainText(`response of ${from}`);
  // a step link moves focus to that step's row
  await row.getByRole('link', { name: from }).first().click();
  await expect(page.locator(`#step-${from}`)).toBeFocused();
  await expect(sources.getByText('input query')).toBeVisible();

  const inputs = page.getByRole('table', { name: 'Inputs' });
  await expect(inputs.getByRole('row').filter({ hasText: 'password' })).toContainText('•••');
  await expect(inputs).not.toContainText('s3cret-pass');
  await expect(inputs.getByRole('row').filter({ hasText: 'query' })).toContainText('apple');

  const curl = page.getByLabel('curl command');
  await expect(curl).toContainText(`${app.url}/v1/workflows/${workflow.id}/runs`);
  await expect(curl).toContainText('$REPLAYFARM_API_KEY');
  await expect(curl).not.toContainText(KEY);
  await expect(curl).not.toContainText('s3cret-pass');
  await expect(page.getByRole('link', { name: 'OpenAPI document' })).toHaveAttribute('href', `/v1/workflows/${workflow.id}/openapi.json`);
  await page.screenshot({ path: `${SHOTS}/workflow.png`, fullPage: true });
});

test('run from the form with a new input (http): the result, its steps, the Runs page and the history', async ({ page }) => {
  await openWorkflow(page);
  await page.getByLabel('title').fill('Made in the console');
  await page.getByLabel('Mode').selectOption('http');
  await page.getByRole('button', { name: 'Run', exact: true }).click();

  const result = page.getByTestId('run-result');
  await expect(result.getByText('succeeded').first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('status')).toContainText('succeeded in http mode');
  await expect(result.locator('.facts')).toContainText('http');
  const stepRows = result.getByRole('table', { name: 'Steps of this run' }).locator('tbody tr');
  await expect(stepRows).toHaveCount(workflow.steps.length);
  await expect(stepRows.first().locator('td').nth(2)).toHaveText(/\d+(\.\d+)? m?s/);
  await expect(result.getByLabel('Run output')).toContainText('Made in the console');
  const runId = (await result.locator('h3 code').textContent())!;
  await result.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/run-result.png` });

  // this workflow's history has it, and so has the Runs page
  const history = page.getByRole('table', { name: 'Runs of this workflow' });
  await expect(history.locator(`tr[data-run-id="${runId}"]`)).toContainText('succeeded');
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  const row = page.locator(`tr[data-run-id="${runId}"]`);
  await expect(row).toContainText(workflow.name);
  await expect(row).toContainText('http');
  await row.getByRole('button', { name: /Steps/ }).click();
  await expect(page.getByRole('table', { name: `Steps of run ${runId}` }).locator('tbody tr')).toHaveCount(workflow.steps.length);
});

test('runs started elsewhere appear live, on the Runs page and in the workflow history, and filters apply', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  await expect(page.getByText('live', { exact: true })).toBeVisible();
  // loaded and following: whatever comes next can only come by the events
  await expect(page.getByRole('table', { name: 'Runs across all workflows' }).or(page.getByText('No runs yet.'))).toBeVisible();

  const started = await api<Run>(`/v1/workflows/${workflow.id}/runs`, { inputs: { title: 'From a script' }, mode: 'http', wait: 0 });
  expect(started.status).toBe(202);
  const row = page.locator(`tr[data-run-id="${started.json.id}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText('succeeded', { timeout: 30_000 });
  await expect(row).toContainText(workflow.name);
  await row.getByRole('button', { name: /Steps/ }).click();
  await expect(page.getByRole('table', { name: `Steps of run ${started.json.id}` }).locator('tbody tr')).toHaveCount(workflow.steps.length);
  await page.screenshot({ path: `${SHOTS}/runs.png` });

  await page.getByLabel('Status').selectOption('failed');
  await expect(row).toHaveCount(0);
  await page.getByLabel('Status').selectOption('succeeded');
  await expect(row).toBeVisible();

  // the workflow page's history, also live
  await page.getByRole('link', { name: workflow.name }).first().click();
  const history = page.getByRole('table', { name: 'Runs of this workflow' });
  await expect(history).toBeVisible();
  await expect(page.getByRole('heading', { name: /Runs of this workflow/ })).toContainText('live');
  const next = await api<Run>(`/v1/workflows/${workflow.id}/runs`, { inputs: { title: 'Second script run' }, mode: 'http', wait: 0 });
  await expect(history.locator(`tr[data-run-id="${next.json.id}"]`)).toContainText('succeeded', { timeout: 30_000 });
});

test('the Runs page lists the newest 100 runs and the older ones on request', async ({ page }) => {
  test.setTimeout(120_000);
  for (let i = 0; i < 110; i += 10) {
    const batch = await Promise.all(Array.from({ length: 10 }, (_, j) => api<Run>(`/v1/workflows/${workflow.id}/runs`, { inputs: { title: `Paged ${i + j}` }, mode: 'http', wait: 30 })));
    for (const r of batch) expect(r.json.status).toBe('succeeded');
  }
  const all = await api<{ runs: Run[] }>('/v1/runs?limit=500');
  expect(all.json.runs.length).toBeGreaterThanOrEqual(110);
  await signIn(page);
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  const rows = page.getByRole('table', { name: 'Runs across all workflows' }).locator('tbody tr.run-row');
  await expect(rows).toHaveCount(100);
  await expect(page.getByText('100 runs shown.')).toBeVisible();
  await page.getByRole('button', { name: 'Show 100 older runs' }).click();
  await expect(rows).toHaveCount(all.json.runs.length);
  await expect(page.getByText(`${all.json.runs.length} runs shown (all).`)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Show 100 older runs' })).toHaveCount(0);
  await page.getByText(/runs shown \(all\)/).scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/runs-all.png` });
  // the oldest run is the last row
  await expect(rows.last()).toHaveAttribute('data-run-id', all.json.runs[all.json.runs.length - 1]!.id);
});

test('a broken HAR, by the file picker and by a drop, shows the error with its path', async ({ page }) => {
  await signIn(page);
  await page.getByLabel('Choose a HAR file…').setInputFiles({ name: 'broken.har', mimeType: 'application/json', buffer: Buffer.from(BROKEN_HAR) });
  const error = page.getByRole('alert');
  await expect(error).toContainText('broken.har could not be learned');
  await expect(error.getByRole('listitem').first()).toContainText('log.entries[0]');
  await page.screenshot({ path: `${SHOTS}/har-error.png` });

  // a drop: a gzip-compressed broken HAR, dropped with a DataTransfer
  const gz = gzipSync(Buffer.from(BROKEN_HAR)).toString('base64');
  await page.getByTestId('har-drop-zone').evaluate((zone, b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'dropped.har.gz', { type: 'application/gzip' }));
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, gz);
  await expect(error).toContainText('dropped.har.gz could not be learned');
  await expect(error.getByRole('listitem').first()).toContainText('log.entries[0]');
  // still on the list: nothing was learned
  await expect(page).toHaveURL(/#\/workflows$/);
});

test('keyboard only: the run form can be filled and submitted', async ({ page }) => {
  await openWorkflow(page);
  // focus starts on the page's content after navigating; from there on, only keys:
  // Tab to the title field, type, Tab to the mode, pick http with an arrow key, Tab to Run, Enter
  await expect(page.locator('#main')).toBeFocused();
  const form = page.getByRole('form', { name: 'Run this workflow' });
  for (let i = 0; i < 20; i++) {
    const id = await page.evaluate(() => document.activeElement?.id);
    if (id === 'input-title') break;
    await page.keyboard.press('Tab');
  }
  await expect(form.getByLabel('title')).toBeFocused();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('Typed on a keyboard');
  for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.id)) !== 'run-mode'; i++) await page.keyboard.press('Tab');
  await expect(form.getByLabel('Mode')).toBeFocused();
  await page.keyboard.press('ArrowDown'); // auto → http
  await expect(form.getByLabel('Mode')).toHaveValue('http');
  await page.keyboard.press('Tab');
  await expect(form.getByRole('button', { name: 'Run' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('status')).toContainText('succeeded in http mode', { timeout: 30_000 });
  await expect(page.getByLabel('Run output')).toContainText('Typed on a keyboard');
});

test('a good HAR learns a new workflow; it can be renamed, get another output step, and be deleted', async ({ page }) => {
  await signIn(page);
  await page.getByLabel('Choose a HAR file…').setInputFiles('test/fixtures/hars/demo-site.har');
  // on success the console goes to the new workflow
  await expect(page).toHaveURL(/#\/workflows\/wf_/);
  await expect(page.getByRole('heading', { level: 1, name: 'demo-site' })).toBeVisible({ timeout: 30_000 });
  const id = decodeURIComponent(page.url().split('/').pop()!);

  await page.getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('Workflow name').fill('Demo, renamed');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Demo, renamed' })).toBeVisible();
  expect((await api<Workflow>(`/v1/workflows/${id}`)).json.name).toBe('Demo, renamed');

  const learned = (await api<Workflow>(`/v1/workflows/${id}`)).json;
  const other = learned.steps.find((s) => s.id !== learned.output.step)!;
  await page.getByLabel('Output step').selectOption(other.id);
  await expect(page.getByText(`Output step is now ${other.id}.`)).toBeVisible();
  expect((await api<Workflow>(`/v1/workflows/${id}`)).json.output.step).toBe(other.id);

  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page).toHaveURL(/#\/workflows$/);
  await expect(page.getByRole('link', { name: workflow.name })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Demo, renamed' })).toHaveCount(0);
  expect((await api(`/v1/workflows/${id}`)).status).toBe(404);
});
