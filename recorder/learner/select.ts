import { AppError } from '../../core/index.js';
import { closure, STATE_CHANGING, type Analysis } from './analysis.js';
import type { Chain } from './chains.js';
import { fingerprint } from './noise.js';
import type { Typed } from './resolve.js';
import { findTarget, namesTarget, noTarget, type TargetSpec } from './target.js';

export type { TargetSpec } from './target.js';

export interface Selection {
  target: number;
  /** Chain positions kept as steps, ascending. */
  kept: number[];
  bootstrap: Set<number>;
  login?: number;
  sessionCookies: string[];
  notes: string[];
}

const SESSION_COOKIE = /sess|sid|auth|token|jwt|login|remember|identity|csrf|xsrf|^_?user/i;
const PASSWORD_FIELD = /(^|[._\[-])(pass(word|wd|phrase)?|pwd)$/i;
const TOKEN_HEADER = /^(authorization|x-auth-token|x-access-token|x-api-key|api-key|x-amz-security-token)$/i;

function returnsData(c: Chain): boolean {
  return STATE_CHANGING.has(c.head.method) || c.final.mime.includes('json') || c.head.resourceType === 'xhr' || c.head.resourceType === 'fetch';
}

function isDocument(c: Chain): boolean {
  return c.head.resourceType === 'document' || c.final.mime.includes('html');
}

function lastWhere(a: Analysis, pred: (c: Chain) => boolean): number | undefined {
  for (let i = a.chains.length - 1; i >= 0; i--) if (pred(a.chains[i]!)) return i;
  return undefined;
}

function pickTarget(a: Analysis, spec: TargetSpec | undefined, secretInputs: Set<string>): number {
  const usable = (c: Chain): boolean => !!c.head.url && c.final.status > 0;
  if (namesTarget(spec)) {
    const t = findTarget(a.chains, spec);
    if (t === undefined) throw noTarget(a.chains, spec);
    return t;
  }
  // A GET that fetches again what an earlier one already got (a poll that ran fewer than three
  // times, a refresh) is never the default target.
  const seen = new Set<string>();
  const repeat = new Set<number>();
  for (const c of a.chains) {
    if (a.hard[c.pos] || c.head.method !== 'GET') continue;
    const key = `${c.head.rawUrl} ${fingerprint(c.final)}`;
    if (seen.has(key)) repeat.add(c.pos);
    seen.add(key);
  }
  const clean = (c: Chain): boolean => !a.hard[c.pos] && !a.soft[c.pos] && !repeat.has(c.pos);
  // What the person did leaves traces: a request that changes state, or carries a value from an
  // earlier response or from what was typed. A constant GET after it (a timer poll that ran only
  // once, a notification check) is background traffic, not the workflow's result.
  // The login itself is not such a result: a constant GET after it (a profile) is.
  const purposeful = (c: Chain): boolean =>
    !a.slots[c.pos]!.some((s) => PASSWORD_FIELD.test(s.key)) &&
    (STATE_CHANGING.has(c.head.method) || a.slots[c.pos]!.some((s) => s.res.kind === 'extract' || s.res.kind === 'typed'));
  // The last write that carries what the person typed (a whole field, not a password) is what
  // they came to do; a GET after it that reads back what it made (uses a value from its answer)
  // is the result. Background calls the page makes after it (a linter, a preference save) are not.
  const typedWrite = (c: Chain): boolean =>
    STATE_CHANGING.has(c.head.method) &&
    c.final.status < 400 &&
    a.slots[c.pos]!.some((s) => s.res.kind === 'typed' && s.res.whole && !secretInputs.has(s.res.input) && s.where !== 'path' && !PASSWORD_FIELD.test(s.key));
  const anchor = lastWhere(a, (c) => clean(c) && typedWrite(c) && !a.slots[c.pos]!.some((s) => s.res.kind === 'typed' && secretInputs.has(s.res.input)));
  if (anchor !== undefined) {
    return lastWhere(a, (c) => c.pos > anchor && clean(c) && c.head.method === 'GET' && returnsData(c) && c.final.status < 400 && a.deps[c.pos]!.has(anchor)) ?? anchor;
  }
  const t =
    lastWhere(a, (c) => clean(c) && returnsData(c) && c.final.status < 400 && purposeful(c)) ??
    lastWhere(a, (c) => clean(c) && returnsData(c) && c.final.status < 400) ??
    lastWhere(a, (c) => clean(c) && returnsData(c)) ??
    lastWhere(a, (c) => clean(c) && isDocument(c)) ??
    lastWhere(a, (c) => !a.hard[c.pos] && usable(c));
  if (t === undefined) throw new AppError('learn_failed', 'The HAR holds no request that completed');
  return t;
}

/**
 * Chooses what stays: the target, the chains that carry what the person typed, the session
 * bootstrap (login and whatever set the session cookie or token), and everything those need.
 */
export function select(a: Analysis, typed: Typed[], spec: TargetSpec | undefined): Selection {
  const notes: string[] = [];
  const secretInputs = new Set(typed.filter((t) => t.secret).map((t) => t.input));
  const target = pickTarget(a, spec, secretInputs);
  const candidates = (p: number): boolean => !a.hard[p] && p <= target;

  const typedChains: number[] = [];
  let login: number | undefined;
  const pwNames = passwordFieldNames(a);
  for (let p = 0; p <= target; p++) {
    if (!candidates(p)) continue;
    const slots = a.slots[p]!;
    if (slots.some((s) => s.res.kind === 'typed')) typedChains.push(p);
    const carriesPassword = slots.some(
      (s) =>
        (s.res.kind === 'typed' && secretInputs.has(s.res.input)) ||
        (s.where !== 'header' && s.where !== 'path' && s.where !== 'query' && s.value !== '' && (PASSWORD_FIELD.test(s.key) || pwNames.has(s.key) || s.res.kind === 'redacted')),
    );
    if (carriesPassword && STATE_CHANGING.has(a.chains[p]!.head.method)) login = p;
  }

  // Cookies sent after they were set: the login's, and session-named ones.
  const sentLater = new Map<string, number>();
  for (let p = target; p >= 0; p--) if (!a.hard[p]) for (const ck of a.chains[p]!.head.reqCookies) sentLater.set(ck.name, Math.max(sentLater.get(ck.name) ?? -1, p));
  const sessionCookies: string[] = [];
  const seeds = new Set<number>();
  const limit = login ?? target;
  for (let p = 0; p <= limit; p++) {
    if (!candidates(p)) continue;
    const c = a.chains[p]!;
    for (const ex of [c.head, ...c.hops]) {
      for (const ck of ex.setCookies) {
        if (sessionCookies.includes(ck.name) || (sentLater.get(ck.name) ?? -1) <= p) continue;
        if (p === login || SESSION_COOKIE.test(ck.name)) {
          sessionCookies.push(ck.name);
          seeds.add(p);
        }
      }
    }
  }
  if (login !== undefined) seeds.add(login);
  // Sources of auth tokens (a login API answering with a bearer token).
  for (let p = 0; p <= target; p++) {
    if (!candidates(p)) continue;
    for (const s of a.slots[p]!) if (s.where === 'header' && TOKEN_HEADER.test(s.key) && s.res.kind === 'extract') seeds.add(s.res.ref.chain);
  }
  const bootstrap = closure(seeds, a.deps);
  bootstrap.delete(target);
  const keep = closure([target, ...typedChains, ...bootstrap], a.deps);
  return { target, kept: [...keep].sort((x, y) => x - y), bootstrap, login, sessionCookies, notes };
}

/** Names of the password inputs the recorded pages showed (`<input type=password name=p>`): a login posts them. */
function passwordFieldNames(a: Analysis): Set<string> {
  const out = new Set<string>();
  for (const c of a.chains) {
    const body = c.final.body;
    if (!body || !c.final.mime.includes('html') || !/type\s*=\s*["']?password/i.test(body)) continue;
    for (const m of body.matchAll(/<input\b[^>]*>/gi)) {
      if (!/\btype\s*=\s*["']?password\b/i.test(m[0])) continue;
      const name = /\bname\s*=\s*["']?([^"'\s>]+)/i.exec(m[0])?.[1];
      if (name) out.add(name);
    }
  }
  return out;
}
