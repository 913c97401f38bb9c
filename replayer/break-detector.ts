import type { SessionSpec, WorkflowStep } from '../core/index.js';
import { isJsonMime, type ResponseView } from './extract.js';
import { header } from './http-client.js';

export type Verdict =
  | { kind: 'ok' }
  /** 5xx or 429: worth retrying; retryAfterMs from Retry-After when the site sent one. */
  | { kind: 'transient'; reason: string; retryAfterMs?: number }
  /** The session no longer works (or the login did not work): repair it. */
  | { kind: 'broken'; reason: string }
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
  const res = view.res;
  const exp = step.expect;
  const status = res.status;
  // Messages and body scans are only worked out on the paths that use them: most steps are ok.
  const what = () => `${step.id} (${step.description})`;

  if ((status >= 500 && exp.status < 500) || (status === 429 && exp.status !== 429)) {
    return { kind: 'transient', reason: `${what()} answered ${status}`, retryAfterMs: retryAfterMs(header(res.headers, 'retry-after')) };
  }

  const session = ctx.session;
  if (session?.loginUrl && !ctx.expectsLoginPage && redirectedToLogin(res.hopUrls, res.locations, res.url, session.loginUrl, exp.redirectTo)) {
    return { kind: 'broken', reason: `${what()} was redirected to the login page` };
  }
  const broken = session?.brokenStatuses?.length ? session.brokenStatuses : DEFAULT_BROKEN_STATUSES;
  if (session && status !== exp.status && broken.includes(status)) {
    return { kind: 'broken', reason: `${what()} answered ${status}` };
  }

  let login: boolean | undefined;
  const loginPage = () => (login ??= !ctx.expectsLoginPage && isHtml(res.contentType) && PASSWORD_FIELD.test(view.text));
  let hit: RegExp | null | undefined;
  const patternHit = () => (hit === undefined ? (hit = !ctx.expectsLoginPage && session ? (compiledPatterns.find((p) => p.test(view.text)) ?? null) : null) : hit);
  const sameClass = Math.floor(status / 100) === Math.floor(exp.status / 100);

  if (!sameClass) {
    if (loginPage()) return { kind: 'broken', reason: `${what()} answered ${status} with a login form (recorded ${exp.status})` };
    if (patternHit()) return { kind: 'broken', reason: `${what()} answered ${status} matching /${patternHit()!.source}/ (recorded ${exp.status})` };
    if (session && status >= 400 && CSRF_ERROR.test(view.text)) return { kind: 'broken', reason: `${what()} answered ${status} with a CSRF error` };
    if (status >= 400) return { kind: 'error', reason: `${what()} answered ${status} (recorded ${exp.status})` };
    if (step.bootstrap && session) return { kind: 'broken', reason: `${what()} answered ${status} instead of ${exp.status}: the login did not go through` };
    return { kind: 'drift', reason: `${what()} answered ${status}, recorded ${exp.status}` };
  }

  const expJson = exp.contentType !== undefined && isJsonMime(exp.contentType);
  if (expJson && status !== 204 && exp.status !== 204) {
    if (!view.isJsonType || !view.json.ok) {
      if (loginPage()) return { kind: 'broken', reason: `${what()} answered a login form instead of JSON` };
      if (patternHit()) return { kind: 'broken', reason: `${what()} answered /${patternHit()!.source}/ instead of JSON` };
      return { kind: 'drift', reason: `${what()} answered ${res.contentType || 'no content type'} where JSON was recorded` };
    }
    const overlap = exp.jsonKeys?.length ? keyOverlap(exp.jsonKeys, view.json.value) : 1;
    if (overlap < MIN_KEY_OVERLAP) {
      if (patternHit()) return { kind: 'broken', reason: `${what()} answered /${patternHit()!.source}/` };
      return { kind: 'drift', reason: `${what()} answered JSON of another shape (${Math.round(overlap * 100)}% of the recorded keys)` };
    }
    return OK;
  }
  if (loginPage()) return { kind: 'broken', reason: `${what()} answered a login form` };
  if (patternHit()) return { kind: 'broken', reason: `${what()} answered /${patternHit()!.source}/` };
  return OK;
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

function redirectedToLogin(hopUrls: string[], locations: string[], finalUrl: string, loginUrl: string, recordedRedirect: string | undefined): boolean {
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

function samePath(raw: string, login: URL, base: string): boolean {
  try {
    const u = new URL(raw, base);
    return u.origin === login.origin && u.pathname.replace(/\/+$/, '') === login.pathname.replace(/\/+$/, '');
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
