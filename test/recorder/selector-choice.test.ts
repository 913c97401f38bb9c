import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Frame, Page } from 'playwright';
import { performAction, type Lease } from '../../browser-pool/index.js';
import type { Action } from '../../core/index.js';
import { recorderRig, type RecorderRig } from './helpers.js';

// Every element a test acts on carries data-k (not an attribute selectors are made of), so that a
// selector can be checked for naming exactly that element.
const PAGES: Record<string, string> = {
  // icon glyphs in accessible names: in the text (private use, emoji) and from a CSS ::before
  '/toolbar': `<!doctype html><html><head><style>.ico-publish::before { content: "\\e901"; }</style></head><body>
<div class="toolbar">
  <button data-k="save" onclick="done(this)"><span class="icon">&#xe900;</span> Save</button>
  <button data-k="publish" onclick="done(this)"><span class="ico-publish"></span> Publish</button>
  <button data-k="export" onclick="done(this)">&#x1F4BE; Export</button>
  <button data-k="draft" onclick="done(this)">Save draft</button>
</div>
<p id="out">none</p>
<script>function done(b) { document.getElementById('out').textContent = b.dataset.k; }</script>
</body></html>`,
  // two identical cards, nested deeper than a short CSS path can tell apart
  '/cards': `<!doctype html><html><body><ul class="cards">${[1, 2]
    .map((n) => `<li>${'<div>'.repeat(9)}<button data-k="delete-${n}" onclick="document.getElementById('out').textContent=this.dataset.k">Delete</button>${'</div>'.repeat(9)}</li>`)
    .join('')}</ul><p id="out">none</p></body></html>`,
  // ids made up at every page load, the way Ember, React and friends do
  '/generated': `<!doctype html><html><body>
<form onsubmit="event.preventDefault()">
  <button type="button" data-k="go" class="btn" onclick="document.getElementById('out').textContent='go'">Go</button>
  <label>Amount <input data-k="amount"></label>
  <label for=":r5:">Email</label> <input id=":r5:" data-k="email">
</form>
<p id="out">none</p>
<script>
  document.querySelector('[data-k=go]').id = 'ember' + (10 + Math.floor(Math.random() * 90));
  document.querySelector('[data-k=amount]').id = 'input-' + Math.random().toString(16).slice(2, 10).replace(/^\\D/, '7');
</script>
</body></html>`,
  // an editor in a same-origin iframe that the page removes once the person is done
  '/host': `<!doctype html><html><body>
<iframe title="Editor" src="/editor"></iframe>
<button data-k="close" onclick="const f = document.querySelector('iframe'); document.getElementById('out').textContent = f.contentDocument.querySelector('input').value; f.remove();">Close editor</button>
<p id="out">none</p>
</body></html>`,
  '/editor': `<!doctype html><html><body><input name="title" data-k="title"></body></html>`,
  // a block editor that relabels the field once it holds text (WordPress's paragraph block)
  '/blocks': `<!doctype html><html><body>
<div class="editor-canvas"><p class="block" contenteditable="true" role="textbox" aria-label="Empty block; start writing" data-k="para"></p></div>
<button data-k="elsewhere">Elsewhere</button>
<script>
  const p = document.querySelector('p');
  p.addEventListener('input', () => p.setAttribute('aria-label', p.textContent ? 'Block: Paragraph' : 'Empty block; start writing'));
</script>
</body></html>`,
  // WordPress's header: BEM classes, two buttons with the same name
  '/header': `<!doctype html><html><body>
<div class="interface-skeleton">
  <div class="interface-skeleton__header"><div class="edit-post-header">
    <div class="edit-post-header__toolbar"><button class="components-button">Add block</button></div>
    <div class="edit-post-header__settings">
      <button class="components-button editor-post-save-draft">Save draft</button>
      <button class="components-button editor-post-publish-button__button" data-k="publish" onclick="document.getElementById('out').textContent='publish'">Publish</button>
    </div>
  </div></div>
  <div class="interface-skeleton__actions"><div class="editor-post-publish-panel"><div class="editor-post-publish-panel__header">
    <button class="components-button editor-post-publish-panel__toggle" data-k="toggle">Publish</button>
  </div></div></div>
</div>
<p id="out">none</p>
</body></html>`,
};

const GLYPH = /[\p{Co}\p{Extended_Pictographic}]/u;

async function clickAt(on: Page | Frame, page: Page, selector: string): Promise<void> {
  const box = await on.locator(selector).first().boundingBox();
  if (!box) throw new Error(`no box for ${selector}`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/** The data-k of every element `selector` matches in `page`. */
function matches(page: Page, selector: string): Promise<Array<string | null>> {
  return page.locator(selector).evaluateAll((els) => els.map((e) => e.getAttribute('data-k')));
}

describe('recorder: every recorded selector names exactly the element acted on', function () {
  this.timeout(120_000);
  let server: Server;
  let url: string;
  let rig: RecorderRig;
  let lease: Lease;

  before(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(PAGES[req.url ?? ''] ?? '<p>not here</p>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    rig = await recorderRig('selector-choice');
    lease = await rig.pool.lease();
  });
  after(async () => {
    await lease?.release();
    await rig?.close();
    await new Promise((r) => server?.close(r));
  });

  /** Records what `act` does on `path` (by hand, or scripted through `manager.act`); the actions after the first goto. */
  async function record(path: string, act: (page: Page, scripted: (a: Action[]) => Promise<unknown>) => Promise<void>): Promise<Action[]> {
    const manager = rig.manager();
    const rec = await manager.start({ startUrl: `${url}${path}` });
    const page = rig.leases.at(-1)!.context.pages()[0]!;
    await act(page, (a) => manager.act(rec.id, a));
    const { recording } = await manager.stop(rec.id);
    expect(recording.actions[0]).to.include({ type: 'goto' });
    return recording.actions.slice(1);
  }

  async function fresh(path: string): Promise<Page> {
    const page = await lease.context.newPage();
    await page.goto(`${url}${path}`);
    return page;
  }

  it('names buttons whose accessible name holds an icon glyph without the glyph, and they replay', async () => {
    const actions = await record('/toolbar', async (page) => {
      for (const k of ['save', 'publish', 'export', 'draft']) await clickAt(page, page, `[data-k=${k}]`);
    });
    expect(actions.map((a) => a.type)).to.deep.equal(['click', 'click', 'click', 'click']);
    const page = await fresh('/toolbar');
    try {
      for (const [i, k] of ['save', 'publish', 'export', 'draft'].entries()) {
        const a = actions[i]!;
        expect(a.selector, k).to.not.match(GLYPH);
        expect(await matches(page, a.selector!), `${k}: ${a.selector}`).to.deep.equal([k]);
        await performAction(page, a, { timeoutMs: 5000 });
        expect(await page.locator('#out').textContent(), a.selector).to.equal(k);
      }
    } finally {
      await page.close();
    }
  });

  it('tells two identical buttons apart', async () => {
    const actions = await record('/cards', async (page) => {
      await clickAt(page, page, '[data-k=delete-2]');
      await clickAt(page, page, '[data-k=delete-1]');
    });
    const page = await fresh('/cards');
    try {
      for (const [i, k] of ['delete-2', 'delete-1'].entries()) {
        expect(await matches(page, actions[i]!.selector!), actions[i]!.selector).to.deep.equal([k]);
        await performAction(page, actions[i]!, { timeoutMs: 5000 });
        expect(await page.locator('#out').textContent()).to.equal(k);
      }
    } finally {
      await page.close();
    }
  });

  it('does not name elements by ids generated at page load', async () => {
    const actions = await record('/generated', async (page) => {
      await clickAt(page, page, '[data-k=go]');
      await clickAt(page, page, '[data-k=amount]');
      await page.keyboard.type('42');
      await clickAt(page, page, '[data-k=email]');
      await page.keyboard.type('a@example.org');
      await clickAt(page, page, '[data-k=go]');
    });
    expect(actions.map((a) => a.type)).to.deep.equal(['click', 'fill', 'fill', 'click']);
    const page = await fresh('/generated');
    try {
      for (const [i, k] of ['go', 'amount', 'email'].entries()) {
        const a = actions[i]!;
        expect(a.selector, k).to.not.match(/ember|input-|:r5:/);
        expect(await matches(page, a.selector!), `${k}: ${a.selector}`).to.deep.equal([k]);
        await performAction(page, a, { timeoutMs: 5000 });
      }
      expect(await page.locator('#out').textContent()).to.equal('go');
      expect(await page.locator('[data-k=amount]').inputValue()).to.equal('42');
      expect(await page.locator('[data-k=email]').inputValue()).to.equal('a@example.org');
    } finally {
      await page.close();
    }
  });

  it('addresses an input inside a same-origin iframe through its frame, even when the page removes the frame right after', async () => {
    const actions = await record('/host', async (page) => {
      const editor = page.frameLocator('iframe');
      await editor.locator('input').waitFor();
      const frame = page.frames().find((f) => f.url().endsWith('/editor'))!;
      await clickAt(frame, page, 'input');
      await page.keyboard.type('Hello frames');
      await clickAt(page, page, '[data-k=close]');
      expect(await page.locator('#out').textContent()).to.equal('Hello frames');
    });
    expect(actions.map((a) => a.type)).to.deep.equal(['fill', 'click']);
    const [fill, close] = actions as [Action, Action];
    expect(fill.value).to.equal('Hello frames');
    expect(fill.selector).to.include('internal:control=enter-frame');
    const page = await fresh('/host');
    try {
      await page.frameLocator('iframe').locator('input').waitFor();
      expect(await matches(page, fill.selector!), fill.selector).to.deep.equal(['title']);
      await performAction(page, { ...fill, value: 'Replayed' }, { timeoutMs: 5000 });
      await performAction(page, close, { timeoutMs: 5000 });
      expect(await page.locator('#out').textContent()).to.equal('Replayed');
    } finally {
      await page.close();
    }
  });

  it('names a field by what holds before and after typing, not by a label that changes as it fills', async () => {
    const typed = await record('/blocks', async (page) => {
      await clickAt(page, page, '[data-k=para]');
      await page.keyboard.type('Hello blocks');
      await clickAt(page, page, '[data-k=elsewhere]');
    });
    const scripted = await record('/blocks', async (_page, act) => {
      await act([{ type: 'fill', selector: '[aria-label="Empty block; start writing"]', value: 'Hello script', input: 'text' }]);
    });
    for (const fill of [typed[0]!, scripted[0]!]) {
      expect(fill.type).to.equal('fill');
      expect(fill.selector).to.not.include('Block: Paragraph');
      const page = await fresh('/blocks');
      try {
        expect(await matches(page, fill.selector!), fill.selector).to.deep.equal(['para']);
        await performAction(page, fill, { timeoutMs: 5000 });
        expect(await page.locator('[data-k=para]').textContent()).to.equal(fill.value);
        // the selector still holds once the field is filled (a later press or a second fill)
        expect(await matches(page, fill.selector!), fill.selector).to.deep.equal(['para']);
      } finally {
        await page.close();
      }
    }
  });

  it('keeps a scripted selector that names the element rather than a positional CSS path', async () => {
    const actions = await record('/header', async (_page, act) => {
      await act([{ type: 'click', selector: '.editor-post-publish-button__button' }]);
    });
    const click = actions[0]!;
    expect(click.selector).to.not.match(/nth-of-type|nth-child|nth=/);
    const page = await fresh('/header');
    try {
      expect(await matches(page, click.selector!), click.selector).to.deep.equal(['publish']);
      await performAction(page, click, { timeoutMs: 5000 });
      expect(await page.locator('#out').textContent()).to.equal('publish');
    } finally {
      await page.close();
    }
  });
});
