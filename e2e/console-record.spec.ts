import { test, expect, type Browser, type Locator, type Page } from '@playwright/test';
import type { Recording, Workflow } from '../core/index.js';
import { startTestApp, type TestApp } from '../test/helpers/test-app.js';
import { failOnCspViolations, keyedApi, signIn as signInAs, SHOTS_DIR } from './console-helpers.js';
import { startFixtureSite, type FixtureSite } from '../test/fixtures/site/index.js';

// The console's Record page as a person uses it, in real Chromium: the remote page is a picture
// streamed over a WebSocket; the test clicks on that picture and types, as a person would, and
// finds where to click by laying the same page out in a page of its own at the remote size.
const KEY = 'console-record-key';
const SHOT = `${SHOTS_DIR}/record.png`;

let app: TestApp;
let site: FixtureSite;

/** One call to the API with the key, as a script outside the console would make it. */
const api = <T>(path: string, body?: unknown, method?: string) => keyedApi<T>(app.url, KEY, path, body, method);

const signIn = (page: Page) => signInAs(page, app.url, KEY);

const liveView = (page: Page) => page.getByRole('application', { name: /Live view of the recording/ });

/** The remote page's size once it has taken the stage's (the console sends it when the stage is laid out). */
async function remoteSize(page: Page): Promise<{ width: number; height: number }> {
  const canvas = liveView(page);
  const stage = page.locator('.live-stage');
  let size = { width: 0, height: 0 };
  await expect
    .poll(async () => {
      const [w, h] = await Promise.all([canvas.getAttribute('data-remote-width'), canvas.getAttribute('data-remote-height')]);
      const s = await stage.evaluate((el) => ({ width: el.clientWidth, height: el.clientHeight }));
      size = { width: Number(w), height: Number(h) };
      return size.width === Math.min(1920, Math.max(320, s.width)) && size.height === Math.min(1200, Math.max(240, s.height));
    }, { message: 'the remote page takes the size of the stage', timeout: 15_000 })
    .toBe(true);
  return size;
}

/** Where `selector` of the page laid out in `probe` shows on the live picture (its centre), in page coordinates. */
async function onPicture(canvas: Locator, probe: Page, selector: string): Promise<{ x: number; y: number }> {
  const el = await probe.locator(selector).boundingBox();
  const pic = await canvas.boundingBox();
  const width = Number(await canvas.getAttribute('data-remote-width'));
  const height = Number(await canvas.getAttribute('data-remote-height'));
  if (!el || !pic || !width || !height) throw new Error(`no box for ${selector}`);
  return { x: pic.x + ((el.x + el.width / 2) / width) * pic.width, y: pic.y + ((el.y + el.height / 2) / height) * pic.height };
}

async function clickOnPicture(page: Page, probe: Page, selector: string): Promise<void> {
  const p = await onPicture(liveView(page), probe, selector);
  await page.mouse.click(p.x, p.y);
}

/** A page of the test's own, at the remote page's size, to read where things are. */
async function probeAt(browser: Browser, size: { width: number; height: number }, url: string): Promise<Page> {
  const probe = await browser.newPage({ viewport: size });
  await probe.goto(url);
  return probe;
}

test.use({ viewport: { width: 1280, height: 800 } });

test.beforeAll(async () => {
  site = await startFixtureSite({ pollIntervalMs: 60_000 });
  app = await startTestApp({ apiKeys: [KEY] });
});

test.afterAll(async () => {
  await app?.close();
  await site?.close();
});

failOnCspViolations();

test('record the fixture site through the live view with the mouse and keyboard, name an input, stop and learn', async ({ page, browser }) => {
  test.setTimeout(150_000);
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Record' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Record a workflow' })).toBeVisible();
  await page.getByLabel('Start URL').fill(`${site.url}/login`);
  await page.getByLabel(/^Name/).fill('Console: log in and search');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page).toHaveURL(/#\/record\/[^/]+$/);
  const id = decodeURIComponent(page.url().split('/').pop()!);
  await expect(page.getByRole('heading', { level: 1, name: 'Console: log in and search' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('Live');

  const canvas = liveView(page);
  await expect(canvas, 'a frame is painted').toHaveAttribute('data-frames', /^[1-9]\d*$/);
  const size = await remoteSize(page);
  const requests = page.getByRole('region', { name: /Captured requests/ });
  await expect(requests).toContainText(`${site.url}/login`);
  const requestsAtStart = await requests.getByRole('listitem').count();

  // log in: click the fields on the picture and type, as a person does
  const probe = await probeAt(browser, size, `${site.url}/login`);
  await clickOnPicture(page, probe, '#username');
  await expect(canvas).toBeFocused();
  await page.keyboard.type('alice');
  await clickOnPicture(page, probe, '#password');
  await page.keyboard.type('s3cret-pass');
  await page.keyboard.press('Enter');

  const actions = page.getByRole('region', { name: /Action log/ });
  const userRow = actions.getByRole('listitem').filter({ hasText: /^fill #username “alice”/ });
  await expect(userRow).toBeVisible();
  const passwordRow = actions.getByRole('listitem').filter({ hasText: /^fill #password/ });
  await expect(passwordRow).toContainText('•••');
  await expect(passwordRow.getByRole('checkbox', { name: 'Secret' })).toBeChecked();
  await expect(actions).not.toContainText('s3cret-pass');
  await expect(requests.getByRole('listitem').filter({ hasText: /POST.*\/login/ })).toHaveCount(1);
  await expect(requests.getByRole('listitem').filter({ hasText: `${site.url}/app` }).first()).toBeVisible();

  // search on the signed-in page (laid out the same in the probe once it is signed in too)
  await probe.locator('#username').fill('alice');
  await probe.locator('#password').fill('s3cret-pass');
  await probe.locator('#password').press('Enter');
  await probe.waitForURL('**/app');
  await clickOnPicture(page, probe, '#search');
  await page.keyboard.type('apple');
  await page.keyboard.press('Enter');
  await expect(requests.getByRole('listitem').filter({ hasText: '/api/search' }).first()).toBeVisible();
  await expect(actions.getByRole('listitem').filter({ hasText: '#search' }).filter({ hasText: '“apple”' })).toBeVisible();
  expect(await requests.getByRole('listitem').count()).toBeGreaterThan(requestsAtStart + 2);
  await probe.close();

  // name the username's input "user" in the log
  const inputName = userRow.getByLabel('Input name');
  await inputName.fill('user');
  await inputName.press('Enter');
  await expect
    .poll(async () => (await api<Recording>(`/v1/recordings/${id}`)).json.actions.find((a) => a.type === 'fill' && a.value === 'alice')?.input, { message: 'the server took the mark' })
    .toBe('user');
  await expect(inputName).toHaveValue('user');

  // the picture with its focus ring, both logs, the page from its top
  await canvas.focus();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: SHOT });

  await page.getByRole('button', { name: 'Stop and learn' }).click();
  await expect(page).toHaveURL(/#\/workflows\/[^/]+$/);
  const workflowId = decodeURIComponent(page.url().split('/').pop()!);
  const inputs = page.getByRole('table', { name: 'Inputs' });
  await expect(inputs.getByRole('rowheader').filter({ hasText: /^user/ })).toBeVisible();
  const wf = await api<Workflow>(`/v1/workflows/${workflowId}`);
  expect(wf.status).toBe(200);
  expect(wf.json.inputs.map((i) => i.name)).toContain('user');
  expect(wf.json.recordingId).toBe(id);
});

test('a second viewer of the same recording is told it already has one; a page that did not sign in is refused', async ({ page, browser }) => {
  const start = await api<Recording>('/v1/recordings', { startUrl: `${site.url}/login`, name: 'Console: two viewers' });
  expect(start.status).toBe(201);
  const id = start.json.id;
  try {
    await signIn(page);
    await page.goto(`${app.url}/console/#/record/${encodeURIComponent(id)}`);
    await expect(liveView(page)).toHaveAttribute('data-frames', /^[1-9]\d*$/);
    // keyboard: Tab belongs to the remote page while the picture has focus; F8 gives the keyboard back
    await liveView(page).focus();
    await page.keyboard.press('Tab');
    await expect(liveView(page)).toBeFocused();
    await page.keyboard.press('F8');
    await expect(page.getByRole('button', { name: 'Stop and learn' })).toBeFocused();

    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const second = await other.newPage();
      await signIn(second);
      await second.goto(`${app.url}/console/#/record/${encodeURIComponent(id)}`);
      await expect(second.getByRole('alert')).toContainText('already has a live viewer');
      await expect(second.getByRole('status')).toContainText('Not connected');
      await expect(second.getByRole('button', { name: 'Reconnect' })).toHaveCount(0);
    } finally {
      await other.close();
    }
    // the first viewer is still live
    await expect(page.getByRole('status')).toContainText('Live');
    await expect(page.getByRole('alert')).toHaveCount(0);

    const stranger = await browser.newContext();
    try {
      const p = await stranger.newPage();
      await p.goto(`${app.url}/console/#/record/${encodeURIComponent(id)}`);
      await expect(p).toHaveURL(/#\/sign-in$/);
      const outcome = await p.evaluate(
        (path) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(`ws://${location.host}${path}`);
            ws.onopen = () => resolve('open');
            ws.onclose = (e) => resolve(`closed ${e.code}`);
          }),
        `/v1/recordings/${encodeURIComponent(id)}/live`,
      );
      expect(outcome, 'the handshake is refused').toBe('closed 1006');
    } finally {
      await stranger.close();
    }
  } finally {
    await api(`/v1/recordings/${id}/stop`, {});
  }
});
