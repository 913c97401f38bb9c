import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Frame, Page } from 'playwright';
import type { Action } from '../../core/index.js';
import { recorderRig, type RecorderRig } from './helpers.js';

const PAGE = `<!doctype html><html><body>
<form id="f" action="/done" method="get">
  <label>Delivery city <input name="city"></label>
  <input name="otp_code" placeholder="One-time code">
  <input placeholder="Nick name">
  <select name="size"><option value="s">S</option><option value="m">M</option><option value="l">L</option></select>
  <label><input type="checkbox" name="terms"> I agree</label>
  <span data-testid="magic" onclick="this.textContent='clicked'">magic</span>
  <div><div><span onclick="1">Only once</span></div></div>
  <div class="x"><i onclick="1">a</i><i onclick="1">a</i></div>
  <iframe name="child" src="/frame"></iframe>
  <button>Send it</button>
</form></body></html>`;
const FRAME = `<!doctype html><html><body><button id="inner">Inner</button></body></html>`;

async function clickAt(frame: Page | Frame, page: Page, selector: string): Promise<void> {
  const box = await frame.locator(selector).first().boundingBox();
  if (!box) throw new Error(`no box for ${selector}`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

describe('recorder: what the injected script captures', function () {
  this.timeout(120_000);
  let server: Server;
  let url: string;
  let rig: RecorderRig;

  before(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(req.url === '/frame' ? FRAME : req.url?.startsWith('/done') ? '<p>done</p>' : PAGE);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    rig = await recorderRig('recorder-capture');
  });
  after(async () => {
    await rig?.close();
    await new Promise((r) => server?.close(r));
  });

  it('describes elements by testid, name, role, text or CSS path; names inputs; flags secrets; reaches into frames', async () => {
    const manager = rig.manager();
    const rec = await manager.start({ startUrl: `${url}/` });
    const page = rig.leases.at(-1)!.context.pages()[0]!;
    await page.frameLocator('iframe').locator('#inner').waitFor();
    await clickAt(page, page, 'input[name=city]');
    await page.keyboard.type('Paris');
    await clickAt(page, page, 'input[name=otp_code]');
    await page.keyboard.type('123456');
    await clickAt(page, page, 'input[placeholder="Nick name"]');
    await page.keyboard.type('zed');
    await page.locator('select').selectOption('m'); // the native popup cannot be clicked; a real change event is fired
    await clickAt(page, page, 'input[type=checkbox]');
    await clickAt(page, page, '[data-testid=magic]');
    await clickAt(page, page, 'text=Only once');
    await clickAt(page, page, '.x i:nth-of-type(2)');
    await clickAt(page.frame({ name: 'child' })!, page, '#inner');
    await clickAt(page, page, 'button:has-text("Send it")');
    await page.waitForURL('**/done**');
    const { recording } = await manager.stop(rec.id);
    const log = recording.actions.map((a: Action) => ({ type: a.type, selector: a.selector, input: a.input, secret: a.secret === true, value: a.value }));
    expect(log).to.deep.equal([
      { type: 'goto', selector: undefined, input: undefined, secret: false, value: undefined },
      { type: 'fill', selector: 'input[name="city"]', input: 'delivery_city', secret: false, value: 'Paris' },
      { type: 'fill', selector: 'input[name="otp_code"]', input: 'otp_code', secret: true, value: '[REDACTED]' },
      { type: 'fill', selector: 'input[placeholder="Nick name"]', input: 'nick_name', secret: false, value: 'zed' },
      { type: 'select', selector: 'select[name="size"]', input: 'size', secret: false, value: 'm' },
      { type: 'click', selector: 'input[name="terms"]', input: undefined, secret: false, value: undefined },
      { type: 'click', selector: '[data-testid="magic"]', input: undefined, secret: false, value: undefined },
      { type: 'click', selector: 'text="Only once"', input: undefined, secret: false, value: undefined },
      { type: 'click', selector: '#f > div:nth-of-type(2) > i:nth-of-type(2)', input: undefined, secret: false, value: undefined },
      { type: 'click', selector: 'iframe[name="child"] >> internal:control=enter-frame >> #inner', input: undefined, secret: false, value: undefined },
      { type: 'click', selector: 'role=button[name="Send it"s]', input: undefined, secret: false, value: undefined },
    ]);

    // Every recorded selector works when played back, and describes the same element again.
    const again = await manager.start({ startUrl: `${url}/` });
    const replayed = await manager.act(again.id, recording.actions.slice(1));
    expect(replayed.actions.map((a) => a.selector)).to.deep.equal(recording.actions.map((a) => a.selector));
    expect(rig.leases.at(-1)!.context.pages()[0]!.url()).to.match(/\/done\?city=Paris&otp_code=/);
    await manager.stop(again.id);
  });
});
