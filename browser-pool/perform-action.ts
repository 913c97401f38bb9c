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
 * Executes one recorded or scripted action in a page. Selectors are Playwright selector strings
 * (CSS, `role=button[name="Log in"]`, `text=…`); the first match is used. `opts.value`
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
      run = () => page.locator(selector).first().click({ timeout });
      break;
    }
    case 'fill': {
      const selector = need(action, 'selector');
      run = () => page.locator(selector).first().fill(value ?? '', { timeout });
      break;
    }
    case 'press': {
      const selector = need(action, 'selector');
      const key = need(action, 'key');
      run = () => page.locator(selector).first().press(key, { timeout });
      break;
    }
    case 'select': {
      const selector = need(action, 'selector');
      if (value === undefined) throw new AppError('invalid_action', 'select action needs a value');
      run = () => page.locator(selector).first().selectOption(value, { timeout });
      break;
    }
    case 'waitFor': {
      if (action.selector) {
        const selector = action.selector;
        run = () => page.locator(selector).first().waitFor({ timeout });
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
    const typed = action.type === 'fill' || action.type === 'select';
    // A typed value may be a secret: keep Playwright's error (which may echo it) out of the cause.
    throw new AppError('action_failed', `${action.type} on ${target(action)} failed: ${reason(err, typed ? [value] : [])}`, { ...typed ? undefined : { cause: err } });
  }
}
