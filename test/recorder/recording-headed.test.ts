import { expect } from 'chai';
import type { Page } from 'playwright';
import type { Action } from '../../core/index.js';
import { fixtureFlow, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { recorderRig, type RecorderRig } from './helpers.js';

/** What must match between a person's recording and a scripted one (waitFor is a scripted-only sync point). */
function shape(actions: Action[]) {
  return actions.filter((a) => a.type !== 'waitFor').map((a) => ({ type: a.type, selector: a.selector, url: a.url, key: a.key, value: a.value, secret: a.secret === true }));
}

/** A person's click: the mouse moves to the element's centre and clicks there. */
async function clickAt(page: Page, selector: string): Promise<void> {
  const loc = page.locator(selector).first();
  await loc.waitFor({ state: 'visible' });
  const box = await loc.boundingBox();
  if (!box) throw new Error(`no box for ${selector}`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

describe('recorder: headed recording driven like a person', function () {
  this.timeout(180_000);
  let site: FixtureSite;
  let rig: RecorderRig;

  before(async () => {
    site = await startFixtureSite();
    rig = await recorderRig('recorder-headed');
  });
  after(async () => {
    await rig?.close();
    await site?.close();
  });

  it('gives the same action log as the scripted recording, and closing the window saves it', async () => {
    const manager = rig.manager();
    const flow = fixtureFlow(site);

    // Scripted reference, headless.
    const ref = await manager.start({ startUrl: flow[0]!.url!, actions: flow.slice(1) });
    const scripted = (await manager.stop(ref.id)).recording.actions;

    // The same flow by mouse and keyboard in the real (Xvfb) window, not through act().
    const rec = await manager.start({ startUrl: flow[0]!.url!, headed: true });
    const lease = rig.leases.at(-1)!;
    expect(lease.headed).to.equal(true);
    const page = lease.context.pages()[0]!;
    await clickAt(page, '#username');
    await page.keyboard.type('alice');
    await clickAt(page, '#password');
    await page.keyboard.type('s3cret-pass');
    await clickAt(page, 'button[type=submit]');
    await page.waitForURL('**/app');
    await clickAt(page, '#search');
    await page.keyboard.type('apple');
    await clickAt(page, '#search-btn');
    await page.locator('#results li').first().waitFor();
    await clickAt(page, '#title');
    await page.keyboard.type('My new item');
    await clickAt(page, '#create-btn');
    await page.locator('#created a.item-link').first().waitFor();
    await clickAt(page, '#created a.item-link');
    await page.locator('#item .title').first().waitFor();

    const stopped = manager.waitForStop(rec.id);
    await page.close(); // the person closes the window
    const { recording, workflow } = await stopped;
    expect(recording.stopReason).to.equal('window_closed');
    expect(recording.headed).to.equal(true);
    expect(workflow.id).to.be.a('string');

    expect(shape(recording.actions)).to.deep.equal(shape(scripted));
    const fills = recording.actions.filter((a) => a.type === 'fill');
    // Named after the field: its label, else its name (the scripted flow names `q` "query" itself).
    expect(fills.map((a) => a.input)).to.deep.equal(['username', 'password', 'q', 'title']);
    expect(fills[1]!.secret).to.equal(true);
    const stored = (await rig.store.getBlob(`har:${rec.id}`))!.toString('utf8');
    expect(stored).to.not.include('s3cret-pass');
  });

  it('records a press of Enter, and a goto for a navigation the page did not start', async () => {
    const manager = rig.manager();
    const rec = await manager.start({ startUrl: `${site.url}/login`, headed: true });
    const page = rig.leases.at(-1)!.context.pages()[0]!;
    await clickAt(page, '#username');
    await page.keyboard.type('alice');
    await clickAt(page, '#password');
    await page.keyboard.type('s3cret-pass');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/app');
    await clickAt(page, '#search');
    await page.keyboard.type('pear');
    await page.keyboard.press('Enter');
    await page.locator('#results').waitFor();
    await page.goto(`${site.url}/login`); // like typing in the address bar
    const { recording } = await manager.stop(rec.id);
    expect(shape(recording.actions)).to.deep.equal([
      { type: 'goto', selector: undefined, url: `${site.url}/login`, key: undefined, value: undefined, secret: false },
      { type: 'fill', selector: '#username', url: undefined, key: undefined, value: 'alice', secret: false },
      { type: 'fill', selector: '#password', url: undefined, key: undefined, value: '[REDACTED]', secret: true },
      { type: 'press', selector: '#password', url: undefined, key: 'Enter', value: undefined, secret: false },
      { type: 'fill', selector: '#search', url: undefined, key: undefined, value: 'pear', secret: false },
      { type: 'press', selector: '#search', url: undefined, key: 'Enter', value: undefined, secret: false },
      { type: 'goto', selector: undefined, url: `${site.url}/login`, key: undefined, value: undefined, secret: false },
    ]);
  });
});
