import type { SessionSpec, WorkflowStep } from '../core/index.js';
import { isJsonMime, type ResponseView } from './extract.js';
import { header } from './http-client.js';

export type Verdict =
  | { kind: 'ok' }
  /** 5xx or 429: worth retrying; retryAfterMs from Retry-After when the site sent one. */
  | { kind: 'transient'; reason: string; retryAfterMs?: number }
  /**
   * The session no longer works (or the login did not work): repair it. `landing`: the answer was
   * a redirect to the login page's path that was not followed, so the page there is unseen.
   */
  | { kind: 'broken'; reason: string; landing?: string }
  /** The response no longer has the recorded shape: the site changed. */
  | { kind: 'drift'; reason: string }
  /** The site refused the request for another reason (unexpected 4xx). */
  | { kind: 'error'; reason: string };

export const DEFAULT_BROKEN_STATUSES = [401, 403, 419, 440];
const CSRF_ERROR = /csrf|xsrf|forgery|(invalid|expired|missing|mismatch(ed)?)[\s_-]*(authenticity[\s_-]*)?token|token[\s_-]*(invalid|expired|missing|mismatch)/i;
const PASSWORD_FIELD = /<input\b[^>]*\btype\s*=\s*["']?password\b/i;
/** Below this share of the recorded JSON key paths still present, the response is "very different". */
const MIN_KEY_OVERLAP = 0.5;

export interface DetectContext {
  session: SessionSpec | null;
  /** The step fetches or shows the login form (a login page is what it should get). */
  expectsLoginPage: boolean;
}

/**
 * Compares a step's response with what was recorded and says what it means. Looks past the
 * status: sites answer "please log in", CSRF failures and changed pages with 200 too.
 */
export function detect(step: WorkflowStep, view: ResponseView, ctx: DetectContext, compiledPatterns: RegExp[]): Verdict {
  // The ok path allocates nothing: messages and body scans are only worked out when something is off.
  const res = view.res;
  const exp = step.expect;
  const status = res.status;
  if ((status >= 500 && exp.status < 500) || (status === 429 && exp.status !== 429)) {
    return { kind: 'transient', reason: `${what(step)} answered ${status}`, retryAfterMs: retryAfterMs(header(res.headers, 'retry-after')) };
  }
  const session = ctx.session;
  // Landing on the login page's URL counts when the page there is a login form (or unseen: a
  // redirect not followed); the same URL showing the app after a login is no broken session.
  if (session?.loginUrl && !ctx.expectsLoginPage && redirectedToLogin(res.hopUrls, res.locations, res.url, session.loginUrl, exp.redirectTo) && (status < 200 || status >= 300 || !isHtml(res.contentType) || PASSWORD_FIELD.test(view.text))) {
    const unseen = status >= 300 && status < 400 && res.hopUrls.length === 0 ? res.locations[res.locations.length - 1] : undefined;
    return { kind: 'broken', reason: `${what(step)} was redirected to the login page ${loginPathOf(session.loginUrl)}`, ...(unseen !== undefined ? { landing: unseen } : {}) };
  }
  if (session && status !== exp.status && (session.brokenStatuses?.length ? session.brokenStatuses : DEFAULT_BROKEN_STATUSES).includes(status)) {
    return { kind: 'broken', reason: `${what(step)} answered ${status}` };
  }
  if (Math.floor(status / 100) !== Math.floor(exp.status / 100)) return otherClass(step, view, ctx, compiledPatterns);
  // A login recorded as post/redirect/get that is answered in place did not log in (a form shown
  // again, a second step such as a one-time code).
  if (step.bootstrap && step.stateChanging && step.redirects > 0 && res.hopUrls.length === 0 && status < 300 && session) {
    return { kind: 'broken', reason: `${what(step)} answered in place where the recorded login redirected: the login did not go through` };
  }
  if (exp.contentType !== undefined && status !== 204 && exp.status !== 204 && isJsonMime(exp.contentType)) {
    if (!view.isJsonType || !view.json.ok) {
      if (loginPage(view, ctx)) return { kind: 'broken', reason: `${what(step)} answered a login form instead of JSON` };
      const hit = patternHit(view, ctx, compiledPatterns);
      if (hit) return { kind: 'broken', reason: `${what(step)} answered /${hit.source}/ instead of JSON` };
      return { kind: 'drift', reason: `${what(step)} answered ${res.contentType || 'no content type'} where JSON was recorded` };
    }
    const overlap = exp.jsonKeys?.length ? keyOverlap(exp.jsonKeys, view.json.value) : 1;
    if (overlap < MIN_KEY_OVERLAP) {
      const hit = patternHit(view, ctx, compiledPatterns);
      if (hit) return { kind: 'broken', reason: `${what(step)} answered /${hit.source}/` };
      return { kind: 'drift', reason: `${what(step)} answered JSON of another shape (${Math.round(overlap * 100)}% of the recorded keys)` };
    }
    return OK;
  }
  if (loginPage(view, ctx)) return { kind: 'broken', reason: `${what(step)} answered a login form` };
  const hit = patternHit(view, ctx, compiledPatterns);
  if (hit) return { kind: 'broken', reason: `${what(step)} answered /${hit.source}/` };
  return OK;
}

/** A status of another class than recorded (a 4xx for a 2xx, a 2xx for a 3xx…): what it means. */
function otherClass(step: WorkflowStep, view: ResponseView, ctx: DetectContext, compiledPatterns: RegExp[]): Verdict {
  const status = view.res.status;
  const exp = step.expect;
  const session = ctx.session;
  if (loginPage(view, ctx)) return { kind: 'broken', reason: `${what(step)} answered ${status} with a login form (recorded ${exp.status})` };
  const hit = patternHit(view, ctx, compiledPatterns);
  if (hit) return { kind: 'broken', reason: `${what(step)} answered ${status} matching /${hit.source}/ (recorded ${exp.status})` };
  if (session && status >= 400 && CSRF_ERROR.test(view.text)) return { kind: 'broken', reason: `${what(step)} answered ${status} with a CSRF error` };
  if (status >= 400) return { kind: 'error', reason: `${what(step)} answered ${status} (recorded ${exp.status})` };
  if (step.bootstrap && session) return { kind: 'broken', reason: `${what(step)} answered ${status} instead of ${exp.status}: the login did not go through` };
  return { kind: 'drift', reason: `${what(step)} answered ${status}, recorded ${exp.status}` };
}

function what(step: WorkflowStep): string {
  return `${step.id} (${step.description})`;
}

/** The response is a login form where the step does not expect one. */
function loginPage(view: ResponseView, ctx: DetectContext): boolean {
  return !ctx.expectsLoginPage && isHtml(view.res.contentType) && PASSWORD_FIELD.test(view.text);
}

/** The first of the learned "please log in" patterns the body matches, when a session is expected. */
function patternHit(view: ResponseView, ctx: DetectContext, compiledPatterns: RegExp[]): RegExp | undefined {
  if (ctx.expectsLoginPage || !ctx.session || compiledPatterns.length === 0) return undefined;
  const text = view.text;
  return compiledPatterns.find((p) => p.test(text));
}

const OK: Verdict = Object.freeze({ kind: 'ok' });

export function compilePatterns(session: SessionSpec | null): RegExp[] {
  const out: RegExp[] = [];
  for (const p of session?.brokenPatterns ?? []) {
    try {
      out.push(new RegExp(p, 'i'));
    } catch {
      // A pattern the learner got wrong must not break every run.
    }
  }
  return out;
}

function isHtml(mime: string): boolean {
  return mime === 'text/html' || mime === 'application/xhtml+xml';
}

function redirectedToLogin(hopUrls: readonly string[], locations: readonly string[], finalUrl: string, loginUrl: string, recordedRedirect: string | undefined): boolean {
  // No hop and no Location: nothing to compare (the common case, no URL parsed).
  if (hopUrls.length === 0 && locations.length === 0) return false;
  let login: URL;
  try {
    login = new URL(loginUrl);
  } catch {
    return false;
  }
  if (recordedRedirect !== undefined && samePath(recordedRedirect, login, finalUrl)) return false;
  const isLogin = (u: string) => samePath(u, login, finalUrl);
  return hopUrls.some(isLogin) || locations.some(isLogin);
}

/**
 * Whether a URL is the login page: the same path, and every query parameter that selects the
 * login page (learned with the login URL) with the same value. `/index.php?id=start` is not
 * `/index.php?do=login`.
 */
function samePath(raw: string, login: URL, base: string): boolean {
  try {
    const u = new URL(raw, base);
    if (u.origin !== login.origin || u.pathname.replace(/\/+$/, '') !== login.pathname.replace(/\/+$/, '')) return false;
    for (const [name, value] of login.searchParams) if (!u.searchParams.getAll(name).includes(value)) return false;
    return true;
  } catch {
    return false;
  }
}

/** Seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/**
 * Share of the recorded key paths found in a body. Tolerant of how paths are written
 * (`a.b`, `a[].b`, `a[0].b`, `$.a.b`): names are walked through objects, arrays are looked into,
 * and paths under an empty array or a null are not counted (nothing to compare).
 */
export function keyOverlap(recorded: string[], body: unknown): number {
  let checked = 0;
  let found = 0;
  for (const names of keyNames(recorded)) {
    if (names.length === 0) continue;
    const r = walk(body, names);
    if (r === 'unknown') continue;
    checked++;
    if (r === 'found') found++;
  }
  return checked === 0 ? 1 : found / checked;
}

/**
 * The output step answered JSON with fields renamed: a field its recorded answer had is gone and
 * the object that held it has a field the recording did not (a path under an empty array or a
 * null is not judged). A field merely absent (an optional one: `next_cursor` on the last page) is
 * no rename. What callers read from the output is no longer where it was.
 */
export function outputShapeDrift(step: WorkflowStep, body: unknown): { reason: string; details: Array<{ path: string; message: string }> } | undefined {
  const recorded = step.expect.jsonKeys;
  if (!recorded?.length) return undefined;
  const names = keyNames(recorded);
  const gone: string[] = [];
  const added = new Set<string>();
  for (let i = 0; i < names.length; i++) {
    if (!names[i]!.length || walk(body, names[i]!) !== 'missing') continue;
    const path = recorded[i]!;
    const dot = path.lastIndexOf('.');
    const prefix = dot === -1 ? '' : path.slice(0, dot);
    const holder = nodeAt(body, names[i]!.slice(0, -1));
    const fresh = holder ? Object.keys(holder).map((k) => (prefix ? `${prefix}.${k}` : k)).filter((k) => !recorded.includes(k)) : [];
    if (!fresh.length) continue;
    gone.push(path);
    for (const k of fresh) added.add(k);
  }
  if (!gone.length) return undefined;
  return {
    reason: `${what(step)} answered JSON without the field${gone.length > 1 ? 's' : ''} ${gone.join(', ')} its recorded answer had (now ${[...added].join(', ')})`,
    details: gone.map((k) => ({ path: `output.body.${k}`, message: 'not in the answer any more' })),
  };
}

/** The object at `names` (an array stands for its first element), or undefined. */
function nodeAt(node: unknown, names: string[]): Record<string, unknown> | undefined {
  let cur: unknown = node;
  for (const name of [...names, '']) {
    while (Array.isArray(cur)) cur = cur[0];
    if (cur === null || typeof cur !== 'object') return undefined;
    if (name === '') return cur as Record<string, unknown>;
    cur = (cur as Record<string, unknown>)[name];
  }
  return undefined;
}

const namesCache = new WeakMap<string[], string[][]>();

/** The recorded paths split into names, once per recorded list (a workflow's expectations do not change). */
function keyNames(recorded: string[]): string[][] {
  let out = namesCache.get(recorded);
  if (!out || out.length !== recorded.length) {
    out = recorded.map((path) =>
      path
        .replace(/^\$\.?/, '')
        .split(/[.[\]]+/)
        .filter((s) => s !== '' && s !== '*' && !/^\d+$/.test(s)),
    );
    namesCache.set(recorded, out);
  }
  return out;
}

function walk(node: unknown, names: string[]): 'found' | 'missing' | 'unknown' {
  let cur: unknown = node;
  for (const name of names) {
    while (Array.isArray(cur)) {
      if (cur.length === 0) return 'unknown';
      cur = cur[0];
    }
    if (cur === null || cur === undefined) return 'unknown';
    if (typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, name)) return 'missing';
    cur = (cur as Record<string, unknown>)[name];
  }
  return 'found';
}

function loginPathOf(loginUrl: string): string {
  try {
    const u = new URL(loginUrl);
    return u.pathname + u.search;
  } catch {
    return loginUrl;
  }
}
