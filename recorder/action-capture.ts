import type { BrowserContext, ElementHandle, Frame, Page } from 'playwright';
import { performAction } from '../browser-pool/index.js';
import type { Action, Logger } from '../core/index.js';
import { BINDING, captureScriptSource, type CaptureEvent, type ElementInfo } from './capture-script.js';
import { sanitizeEvent } from './capture-event.js';
import { ENTER_FRAME, framePrefix, resolvesTo, within, type Target } from './frame-checks.js';
import { TrafficCapture } from './traffic-capture.js';

export interface ActionCaptureOptions {
  /** Child logger of the recording. */
  logger: Logger;
  /** Called on every event the page reports (idle-timeout bookkeeping). */
  onActivity?: () => void;
  /** Clock, for `at` (ms since start). Default Date.now. */
  now?: () => number;
  /** Actions kept at most; a page that floods the binding cannot grow the log further. Default 5000. */
  maxActions?: number;
}

interface BindingSource {
  page: Page;
  frame: Frame;
}

/**
 * The action log of one recording. What the person does comes from the injected script
 * (capture-script.ts) through an exposed binding; scripted actions are executed with
 * performAction and logged here directly, while the script's echoes of them are dropped, so both
 * kinds of recording produce the same log. Top-level navigations the page did not start itself
 * (address bar, back/forward, a new tab) become `goto`.
 *
 * Every selector that goes into the log must resolve to exactly the element acted on. The page
 * offers candidates it checked with its model of Playwright's engines (selector-choice.ts); here
 * Playwright itself checks them while the element is still there, and a candidate it does not
 * resolve to that element is dropped when the page's model says it should have (the model
 * strayed), but kept when the page changed since (the model's verdict at the time stands).
 * Events are handled one at a time, in the order the pages sent them.
 */
export class ActionCapture {
  readonly actions: Action[] = [];
  /** The context's traffic as it happens: what survives when the browser crashes (Playwright's HAR is written only on close). */
  readonly traffic = new TrafficCapture();
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly maxActions: number;
  /** Scripted actions in flight: the page's own events are echoes of them. */
  private scripting = 0;
  /** Pages whose top document announced a navigation it started itself. */
  private readonly navIntent = new WeakSet<Page>();
  private readonly inputNames = new Map<string, string>();
  /** Handling of page events and log writes, in order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ActionCaptureOptions) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.maxActions = opts.maxActions ?? 5000;
  }

  /** Installs the binding and the script, and starts capturing traffic; call before the first page opens. */
  async attach(context: BrowserContext): Promise<void> {
    this.traffic.attach(context);
    await context.exposeBinding(BINDING, (source: BindingSource, ev: unknown) => this.onEvent(source, ev));
    await context.addInitScript({ content: captureScriptSource() });
    context.on('page', (p) => this.watch(p));
    for (const p of context.pages()) this.watch(p);
  }

  /** Runs a scripted action in `page` and logs it as the script would have seen it. */
  async perform(page: Page, action: Action, timeoutMs?: number): Promise<void> {
    const pageUrl = page.url();
    this.scripting++;
    let target: Target | undefined;
    try {
      if (action.selector && action.type !== 'waitFor') target = await this.target(page, action, timeoutMs);
      await performAction(page, action, { timeoutMs });
      const selector = target ? await this.chooseScripted(target, action) : undefined;
      await this.settle(page);
      await this.enqueue(() => this.push(this.scripted(action, selector, target?.info, pageUrl)));
    } finally {
      await target?.handle.dispose().catch(() => undefined);
      this.scripting--;
    }
  }

  /** Asks every frame to report typing not yet reported (before the context closes). */
  async flush(page: Page): Promise<void> {
    await Promise.all(
      page.frames().map((f) => f.evaluate(() => (window as unknown as { __rfFlush?: () => void }).__rfFlush?.()).catch(() => undefined)),
    );
    await this.settle(page);
    await this.chain;
  }

  private watch(page: Page): void {
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame()) return;
      const url = frame.url();
      if (this.navIntent.has(page)) {
        this.navIntent.delete(page);
        return;
      }
      if (this.scripting > 0 || !/^https?:/i.test(url)) return;
      const at = this.at();
      void this.enqueue(() => this.push({ type: 'goto', url, pageUrl: url, at }));
    });
  }

  /**
   * Binding events travel on the same connection as evaluate() replies: one round trip after an
   * action guarantees its echoes have arrived (and were dropped) before `scripting` goes down.
   */
  private async settle(page: Page): Promise<void> {
    await page
      .mainFrame()
      .evaluate(() => 0)
      .catch(() => undefined);
  }

  /** The element a scripted action is about, with the page's candidates checked by Playwright before the action. */
  private async target(page: Page, action: Action, timeoutMs?: number): Promise<Target | undefined> {
    let handle: ElementHandle | undefined;
    try {
      handle = (await page.locator(action.selector!).first().elementHandle({ timeout: timeoutMs ?? 15_000 })) as ElementHandle;
      const frame = await handle.ownerFrame();
      const info = await handle.evaluate((el: Element) => (window as unknown as { __rfDescribe?: (e: Element) => ElementInfo }).__rfDescribe?.(el));
      if (!frame || !info) throw new Error('element not described');
      const candidates = info.candidates.map((c) => c.selector);
      // The script's own selector, when it names exactly this element and not what was typed,
      // ranks above a CSS path (it is the author's choice, and less positional than ours).
      const own = action.selector!;
      const typed = this.actions.some((a) => a.type === 'fill' && !a.secret && (a.value ?? '').length >= 3 && own.toLowerCase().includes(a.value!.toLowerCase()));
      if (frame === page.mainFrame() && !typed && !candidates.includes(own)) {
        const css = info.candidates.findIndex((c) => c.kind === 'css');
        candidates.splice(css < 0 ? candidates.length : css, 0, own);
      }
      const confirmed: string[] = [];
      for (const c of candidates) {
        if (await resolvesTo(frame, c, handle)) confirmed.push(c);
        // a click is named as it was before it; a fill also as it is after (below)
        if (confirmed.length && action.type !== 'fill') break;
      }
      const prefix = frame === page.mainFrame() ? '' : await framePrefix(frame);
      return { handle, frame, info, confirmed, prefix };
    } catch {
      await handle?.dispose().catch(() => undefined);
      return undefined; // performAction reports the real problem
    }
  }

  private async chooseScripted(t: Target, action: Action): Promise<string> {
    let chosen = t.confirmed[0];
    if (action.type === 'fill' && t.confirmed.length > 1) {
      for (const c of t.confirmed) {
        if (await resolvesTo(t.frame, c, t.handle)) {
          chosen = c;
          break;
        }
      }
    }
    // Nothing of ours resolves to it by Playwright's reckoning: the script's selector reached it.
    if (!chosen) return action.selector!;
    return t.prefix ? `${t.prefix} >> ${ENTER_FRAME} >> ${chosen}` : chosen;
  }

  private scripted(action: Action, selector: string | undefined, info: ElementInfo | undefined, pageUrl: string): Action {
    const a: Action = { type: action.type };
    if (action.url !== undefined) a.url = action.url;
    if (action.selector !== undefined) a.selector = action.type === 'waitFor' ? action.selector : (selector ?? action.selector);
    if (action.key !== undefined) a.key = action.key;
    if (action.value !== undefined) a.value = action.value;
    if (action.type === 'fill' || action.type === 'select') {
      a.input = this.inputName(a.selector ?? '', action.input ?? info?.input ?? 'field');
      if (action.secret || info?.secret) a.secret = true;
    }
    a.pageUrl = action.type === 'goto' ? action.url : pageUrl;
    a.at = this.at();
    return a;
  }

  private onEvent(source: BindingSource, raw: unknown): void {
    const ev = sanitizeEvent(raw);
    if (!ev) return;
    this.opts.onActivity?.();
    if (ev.kind === 'active') return;
    const page = source.page;
    if (ev.kind === 'nav') {
      if (ev.top && page) this.navIntent.add(page);
      return;
    }
    if (this.scripting > 0) return;
    const at = this.at();
    void this.enqueue(() => this.fromPage(source.frame, ev, at));
  }

  private async fromPage(frame: Frame, ev: CaptureEvent, at: number): Promise<void> {
    let selector = (await this.confirm(frame, ev)) ?? ev.selector ?? '';
    if (!ev.top) {
      const prefix = ev.frames?.length ? ev.frames.join(` >> ${ENTER_FRAME} >> `) : await within(framePrefix(frame));
      if (prefix === undefined) {
        this.opts.logger.debug('action in a frame that cannot be addressed: skipped', { kind: ev.kind });
        return;
      }
      selector = `${prefix} >> ${ENTER_FRAME} >> ${selector}`;
    }
    const a: Action = { type: ev.kind as Action['type'], selector };
    if (ev.kind === 'press') a.key = ev.key;
    if (ev.kind === 'fill' || ev.kind === 'select') {
      a.value = ev.value ?? '';
      a.input = this.inputName(selector, ev.input || 'field');
      if (ev.secret) a.secret = true;
      // A field reported twice with the same value (change after Enter, blur after a scripted fill).
      const last = [...this.actions].reverse().find((x) => (x.type === 'fill' || x.type === 'select') && x.selector === selector);
      if (last && last.value === a.value) return;
    }
    a.pageUrl = ev.url;
    a.at = at;
    this.push(a);
  }

  /**
   * The first of the page's candidates that Playwright resolves to exactly the element, or that
   * the page changed under since the event; undefined when the element is gone (navigation,
   * removal) and the page's choice stands.
   */
  private async confirm(frame: Frame, ev: CaptureEvent): Promise<string | undefined> {
    const candidates = ev.candidates ?? [];
    if (!ev.ref || candidates.length < 2 || frame.isDetached()) return undefined;
    const check = async (): Promise<string | undefined> => {
      const handle = await frame.evaluateHandle((ref: string) => (window as unknown as { __rfTarget?: (r: string) => Element | undefined }).__rfTarget?.(ref), ev.ref!);
      try {
        const el = handle.asElement();
        if (!el) return undefined;
        const model = await el.evaluate((_: Node, ref: string) => (window as unknown as { __rfRecheck?: (r: string) => boolean[] | null }).__rfRecheck?.(ref) ?? null, ev.ref!);
        for (const [i, c] of candidates.entries()) {
          if (await resolvesTo(frame, c, el)) return c;
          if (!model || model[i] === false) return c;
          this.opts.logger.debug('a selector the page chose does not resolve to its element in Playwright: skipped', { kind: ev.kind });
        }
        return undefined;
      } finally {
        await handle.dispose().catch(() => undefined);
      }
    };
    return within(check());
  }

  /** Runs `fn` after everything queued before it; a failure is logged, never breaks the chain. */
  private enqueue(fn: () => unknown): Promise<void> {
    const next = this.chain.then(fn).then(
      () => undefined,
      (err: unknown) => {
        this.opts.logger.debug('action not logged', { error: err instanceof Error ? err.message : String(err) });
      },
    );
    this.chain = next;
    return next;
  }

  /** One input name per field; a different field with the same name gets `_2`, `_3`. */
  private inputName(selector: string, wanted: string): string {
    for (const [name, sel] of this.inputNames) if (sel === selector && (name === wanted || name.startsWith(`${wanted}_`))) return name;
    let name = wanted;
    for (let i = 2; this.inputNames.has(name) && this.inputNames.get(name) !== selector; i++) name = `${wanted}_${i}`;
    this.inputNames.set(name, selector);
    return name;
  }

  private push(a: Action): void {
    if (this.actions.length >= this.maxActions) return;
    this.actions.push(a);
  }

  private at(): number {
    return this.now() - this.startedAt;
  }
}
