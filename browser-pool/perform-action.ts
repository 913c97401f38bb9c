import type { Page } from 'playwright';
import { AppError, type Action } from '../core/index.js';

const DEFAULT_TIMEOUT_MS = 15_000;

function need(action: Action, field: 'selector' | 'url' | 'key'): string {
  const v = action[field];
  if (typeof v !== 'string' || v === '') throw new AppError('invalid_action', `${action.type} action needs a ${field}`);
  return v;
}

/** Where the action applies, for messages: its selector or URL, never its value. */
function target(action: Action): string {
  if (action.selector) return `selector ${action.selector}`;
  if (action.url) return `url ${action.url}`;
  return 'no target';
}

/** First line of Playwright's message (the call log below it can be long), with any typed value masked. */
function reason(err: unknown, secretValues: Array<string | undefined>): string {
  let msg = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  for (const v of secretValues) if (v) msg = msg.split(v).join('[value]');
  return msg;
}

/**
 * The element an action is for: the one visible match of `selector`. Playwright's locators are
 * strict, so several visible matches fail the action instead of acting on the first of them (a
 * selector that named one element when it was recorded and now names several, say a "Delete"
 * button per row, must not pick one silently); hidden duplicates (a menu kept for another screen
 * size) do not count.
 */
function theOne(page: Page, selector: string) {
  return page.locator(selector).filter({ visible: true });
}

/** The error of an action whose selector matches several visible elements (Playwright's strict mode). */
async function ambiguous(page: Page, action: Action, selector: string): Promise<AppError> {
  const n = await theOne(page, selector).count().catch(() => undefined);
  return new AppError('action_failed', `${action.type} on ${target(action)} failed: it matches ${n ?? 'several'} visible elements now, not one; nothing was done (no guess at which was meant)`, {
    details: [{ path: 'selector', message: `matches ${n ?? 'several'} visible elements`, selector, matches: n }],
  });
}

/**
 * Executes one recorded or scripted action in a page. Selectors are Playwright selector strings
 * (CSS, `role=button[name="Log in"]`, `text=…`); the action needs exactly one visible match
 * (several fail it, see theOne), a waitFor any visible one. `opts.value`
 * overrides the recorded value of fill/select (a run's input). Errors: AppError('invalid_action')
 * for a malformed action, AppError('action_failed') naming the type and selector/URL (never the
 * value) when the page does not cooperate.
 */
export async function performAction(page: Page, action: Action, opts: { timeoutMs?: number; value?: string } = {}): Promise<void> {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const value = opts.value ?? action.value;
  let run: () => Promise<unknown>;
  switch (action.type) {
    case 'goto': {
      const url = need(action, 'url');
      run = () => page.goto(url, { waitUntil: 'load', timeout });
      break;
    }
    case 'click': {
      const selector = need(action, 'selector');
      run = () => theOne(page, selector).click({ timeout });
      break;
    }
    case 'fill': {
      const selector = need(action, 'selector');
      run = () => theOne(page, selector).fill(value ?? '', { timeout });
      break;
    }
    case 'press': {
      const selector = need(action, 'selector');
      const key = need(action, 'key');
      run = () => theOne(page, selector).press(key, { timeout });
      break;
    }
    case 'select': {
      const selector = need(action, 'selector');
      if (value === undefined) throw new AppError('invalid_action', 'select action needs a value');
      run = () => theOne(page, selector).selectOption(value, { timeout });
      break;
    }
    case 'waitFor': {
      if (action.selector) {
        const selector = action.selector;
        run = () => page.locator(selector).filter({ visible: true }).first().waitFor({ timeout });
      } else if (action.url) {
        const url = action.url;
        run = () => page.waitForURL(url, { timeout });
      } else {
        throw new AppError('invalid_action', 'waitFor action needs a selector or a url');
      }
      break;
    }
    default:
      throw new AppError('invalid_action', `unknown action type ${String((action as { type: unknown }).type)}`);
  }
  try {
    await run();
  } catch (err) {
    if (action.selector && /strict mode violation/.test(String((err as Error)?.message))) throw await ambiguous(page, action, action.selector);
    const typed = action.type === 'fill' || action.type === 'select';
    // A typed value may be a secret: keep Playwright's error (which may echo it) out of the cause.
    throw new AppError('action_failed', `${action.type} on ${target(action)} failed: ${reason(err, typed ? [value] : [])}`, { ...typed ? undefined : { cause: err } });
  }
}
