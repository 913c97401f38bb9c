import type { BrowserContext, Frame, Page } from 'playwright';
import { performAction } from '../browser-pool/index.js';
import type { Action, Logger } from '../core/index.js';
import { BINDING, captureScriptSource, type CaptureEvent, type ElementInfo } from './capture-script.js';

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

const FIELD_MAX = 10_000;

interface BindingSource {
  page: Page;
  frame: Frame;
}
const KINDS = new Set(['click', 'fill', 'press', 'select', 'nav', 'active']);

/**
 * The action log of one recording. What the person does comes from the injected script
 * (capture-script.ts) through an exposed binding; scripted actions are executed with
 * performAction and logged here directly, while the script's echoes of them are dropped, so both
 * kinds of recording produce the same log. Top-level navigations the page did not start itself
 * (address bar, back/forward, a new tab) become `goto`.
 */
export class ActionCapture {
  readonly actions: Action[] = [];
  private readonly startedAt: number;
  private readonly now: () => number;
  private readonly maxActions: number;
  /** Scripted actions in flight: the page's own events are echoes of them. */
  private scripting = 0;
  /** Pages whose top document announced a navigation it started itself. */
  private readonly navIntent = new WeakSet<Page>();
  private readonly inputNames = new Map<string, string>();

  constructor(private readonly opts: ActionCaptureOptions) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.maxActions = opts.maxActions ?? 5000;
  }

  /** Installs the binding and the script; call before the first page opens. */
  async attach(context: BrowserContext): Promise<void> {
    await context.exposeBinding(BINDING, (source: BindingSource, ev: unknown) => this.onEvent(source, ev));
    await context.addInitScript({ content: captureScriptSource() });
    context.on('page', (p) => this.watch(p));
    for (const p of context.pages()) this.watch(p);
  }

  /** Runs a scripted action in `page` and logs it as the script would have seen it. */
  async perform(page: Page, action: Action, timeoutMs?: number): Promise<void> {
    const pageUrl = page.url();
    this.scripting++;
    try {
      let info: ElementInfo | undefined;
      if (action.selector && action.type !== 'waitFor') info = await this.describe(page, action.selector, timeoutMs);
      await performAction(page, action, { timeoutMs });
      await this.settle(page);
      this.push(this.scripted(action, info, pageUrl));
    } finally {
      this.scripting--;
    }
  }

  /** Asks every frame to report typing not yet reported (before the context closes). */
  async flush(page: Page): Promise<void> {
    await Promise.all(
      page.frames().map((f) => f.evaluate(() => (window as unknown as { __rfFlush?: () => void }).__rfFlush?.()).catch(() => undefined)),
    );
    await this.settle(page);
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
      this.push({ type: 'goto', url, pageUrl: url, at: this.at() });
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

  private async describe(page: Page, selector: string, timeoutMs?: number): Promise<ElementInfo | undefined> {
    try {
      const handle = await page.locator(selector).first().elementHandle({ timeout: timeoutMs ?? 15_000 });
      try {
        const info = await handle.evaluate((el: Element) => (window as unknown as { __rfDescribe?: (e: Element) => ElementInfo }).__rfDescribe?.(el));
        const frame = await handle.ownerFrame();
        if (info && frame && frame !== page.mainFrame()) info.selector = `${await framePrefix(frame)} >> internal:control=enter-frame >> ${info.selector}`;
        return info;
      } finally {
        await handle.dispose();
      }
    } catch {
      return undefined; // performAction reports the real problem
    }
  }

  private scripted(action: Action, info: ElementInfo | undefined, pageUrl: string): Action {
    const a: Action = { type: action.type };
    if (action.url !== undefined) a.url = action.url;
    if (action.selector !== undefined) a.selector = action.type === 'waitFor' ? action.selector : (info?.selector ?? action.selector);
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
    const ev = sanitize(raw);
    if (!ev) return;
    this.opts.onActivity?.();
    if (ev.kind === 'active') return;
    const page = source.page;
    if (ev.kind === 'nav') {
      if (ev.top && page) this.navIntent.add(page);
      return;
    }
    if (this.scripting > 0) return;
    void this.fromPage(source.frame, ev);
  }

  private async fromPage(frame: Frame, ev: CaptureEvent): Promise<void> {
    let selector = ev.selector ?? '';
    if (!ev.top) {
      const prefix = await framePrefix(frame).catch(() => undefined);
      if (prefix === undefined) {
        this.opts.logger.debug('action in a frame that cannot be addressed: skipped', { kind: ev.kind });
        return;
      }
      selector = `${prefix} >> internal:control=enter-frame >> ${selector}`;
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
    a.at = this.at();
    this.push(a);
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

/** The selector chain of an iframe, from the top document down. */
async function framePrefix(frame: Frame): Promise<string> {
  const parts: string[] = [];
  let f: Frame | null = frame;
  while (f && f.parentFrame()) {
    const el = await f.frameElement();
    const info = await el.evaluate((e: Element) => (window as unknown as { __rfDescribe?: (x: Element) => ElementInfo }).__rfDescribe?.(e));
    await el.dispose();
    if (!info) throw new Error('frame element not described');
    parts.unshift(info.selector);
    f = f.parentFrame();
  }
  return parts.join(' >> internal:control=enter-frame >> ');
}

/** The page is not trusted: keep only known kinds and bounded strings. */
function sanitize(raw: unknown): CaptureEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.kind !== 'string' || !KINDS.has(r.kind)) return undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, FIELD_MAX) : undefined);
  const ev: CaptureEvent = { kind: r.kind as CaptureEvent['kind'], top: r.top === true, url: str(r.url) };
  if (r.kind === 'nav' || r.kind === 'active') return ev;
  ev.selector = str(r.selector);
  if (!ev.selector) return undefined;
  ev.value = str(r.value);
  ev.key = str(r.key);
  ev.input = str(r.input)?.slice(0, 64);
  ev.secret = r.secret === true;
  if (ev.kind === 'press' && !ev.key) return undefined;
  return ev;
}
