/**
 * Playwright's own view of what the page reported: does a selector resolve to exactly the element
 * acted on, and how an iframe is addressed from the top document. Used by ActionCapture.
 */
import type { ElementHandle, Frame } from 'playwright';
import type { ElementInfo } from './capture-script.js';

export const ENTER_FRAME = 'internal:control=enter-frame';
/** Longest wait for Playwright to look at the page about one event (the log waits in order). */
const CHECK_TIMEOUT_MS = 3000;

/** The promise's value, or undefined when it fails or takes longer than CHECK_TIMEOUT_MS. */
export async function within<T>(p: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([p.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Target {
  handle: ElementHandle;
  frame: Frame;
  info: ElementInfo;
  /** Candidates Playwright resolved to exactly the element before the action, best first. */
  confirmed: string[];
  /** The frame chain, empty in the top document. */
  prefix: string;
}

/** Does `selector` match exactly one element in `frame`, and is it `el`? */
export async function resolvesTo(frame: Frame, selector: string, el: ElementHandle): Promise<boolean> {
  try {
    return await frame.locator(selector).evaluateAll((els: Element[], target: Element) => els.length === 1 && els[0] === target, el as ElementHandle<Element>);
  } catch {
    return false; // not a selector Playwright parses, or the frame went away
  }
}

/** The selector chain of an iframe, from the top document down. */
export async function framePrefix(frame: Frame): Promise<string> {
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
  return parts.join(` >> ${ENTER_FRAME} >> `);
}
