import { AppError, type Action, type ActionType, type ErrorDetail } from '../core/index.js';

const REQUIRED: Record<ActionType, Array<keyof Action>> = {
  goto: ['url'],
  click: ['selector'],
  fill: ['selector', 'value'],
  press: ['selector', 'key'],
  select: ['selector', 'value'],
  waitFor: [],
};
const STRING_FIELDS: Array<keyof Action> = ['selector', 'url', 'value', 'key', 'input', 'pageUrl'];
const MAX_ACTIONS = 500;
const MAX_FIELD = 10_000;

/**
 * Checks scripted actions (API bodies, CLI files) and returns clean copies: `type` one of
 * goto/click/fill/press/select/waitFor with its required fields, strings where strings belong,
 * `goto` URLs absolute http(s). Throws AppError('invalid_action') listing every problem with
 * its JSON path (`[2].selector`).
 */
export function parseActions(x: unknown): Action[] {
  const problems: ErrorDetail[] = [];
  if (!Array.isArray(x)) throw new AppError('invalid_action', 'actions must be an array', [{ path: '', message: 'should be an array' }]);
  if (x.length > MAX_ACTIONS) throw new AppError('invalid_action', `at most ${MAX_ACTIONS} actions at once`, [{ path: '', message: `more than ${MAX_ACTIONS} items` }]);
  const out: Action[] = [];
  x.forEach((item, i) => {
    const at = `[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push({ path: at, message: 'should be an object' });
      return;
    }
    const a = item as Record<string, unknown>;
    // own keys only: `in` would take "__proto__", "constructor", "toString" … from Object.prototype
    if (typeof a.type !== 'string' || !Object.hasOwn(REQUIRED, a.type)) {
      problems.push({ path: `${at}.type`, message: `should be one of ${Object.keys(REQUIRED).join(', ')}` });
      return;
    }
    const type = a.type as ActionType;
    const action: Action = { type };
    for (const f of STRING_FIELDS) {
      if (a[f] === undefined) continue;
      if (typeof a[f] !== 'string') problems.push({ path: `${at}.${f}`, message: 'should be a string' });
      else if ((a[f] as string).length > MAX_FIELD) problems.push({ path: `${at}.${f}`, message: `should be at most ${MAX_FIELD} characters` });
      else (action as unknown as Record<string, unknown>)[f] = a[f];
    }
    if (a.secret !== undefined) {
      if (typeof a.secret !== 'boolean') problems.push({ path: `${at}.secret`, message: 'should be a boolean' });
      else action.secret = a.secret;
    }
    for (const f of REQUIRED[type]) {
      if (a[f] === undefined) problems.push({ path: `${at}.${f}`, message: `is required for ${type}` });
      else if (f !== 'value' && a[f] === '') problems.push({ path: `${at}.${f}`, message: 'should not be empty' });
    }
    if (type === 'waitFor' && a.selector === undefined && a.url === undefined) problems.push({ path: at, message: 'waitFor needs a selector or a url' });
    if (type === 'goto' && typeof a.url === 'string' && a.url !== '') {
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(a.url).protocol);
      } catch {
        /* reported below */
      }
      if (!ok) problems.push({ path: `${at}.url`, message: 'should be an absolute http(s) URL' });
    }
    out.push(action);
  });
  if (problems.length) throw new AppError('invalid_action', `Invalid action: ${problems[0]!.path} ${problems[0]!.message}`, problems.slice(0, 50));
  return out;
}
