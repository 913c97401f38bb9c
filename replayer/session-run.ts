import type { Cookie } from 'playwright';
import type { CookieJar } from 'tough-cookie';
import { AppError, isAppError, type RunStep, type Workflow } from '../core/index.js';
import { loginActionCount, type BrowserRunner } from './browser-runner.js';
import { ResponseView, extract } from './extract.js';
import { HttpStepRunner, StepFailure, type HttpRunDeps } from './http-run.js';
import type { ReplayMetrics } from './replay-metrics.js';
import type { RunInputs } from './run-inputs.js';
import type { RunAbort } from './run-abort.js';
import { RunJar } from './run-jar.js';
import { newJar, type SessionStore, type StoredSession } from './session-store.js';
import { compileWorkflow } from './compiled-workflow.js';
import type { RunLog } from './run-log.js';

export interface SessionRunDeps extends HttpRunDeps {
  sessions: SessionStore;
  /** Undefined when the run may not use a browser (mode http). */
  browser?: BrowserRunner;
  metrics: ReplayMetrics;
}

/** Most repairs in one run: a session that breaks again right after a fresh login will not be saved by a third. */
const MAX_REPAIRS = 2;
const LOCK_MAX_MS = 60_000;

/**
 * One HTTP-mode run with its session: loads the session once, skips the login while it is
 * healthy, repairs it when a step finds it broken (HTTP re-login first, then the recorded login
 * in a browser), resumes from the failed step, and saves the session once at the end when it
 * changed. Repairs take a Redis lock; a run that finds the lock taken waits and adopts the
 * session the other run repaired.
 */
export class SessionRun {
  readonly runner: HttpStepRunner;
  mode: 'http' | 'hybrid' = 'http';
  /** The first thing that went wrong in this run (a later failure does not replace it). */
  firstCause?: string;
  fallback?: { reason: string; ms: number; metric: string };
  private readonly key?: string;
  private base: StoredSession | undefined;
  private baseVersion = 0;
  private loggedIn = false;
  private httpLoginFailed = false;
  /** Variables the login extracts that are kept with the session. */
  private readonly tokens: string[];
  /** Of those, the ones later steps use. */
  private readonly needed: string[];
  private readonly lastBootstrap: number;

  constructor(
    private readonly d: SessionRunDeps,
    private readonly wf: Workflow,
    private readonly inputs: RunInputs,
    sessionName: string,
    private readonly deadline: number,
    private readonly signal: RunAbort,
    private readonly log: RunLog,
  ) {
    if (wf.session) this.key = d.sessions.key(wf.id, sessionName);
    this.runner = new HttpStepRunner(d, wf, inputs.get, RunJar.empty(), deadline, signal);
    const c = compileWorkflow(wf);
    this.tokens = c.tokens;
    this.needed = c.neededTokens;
    this.lastBootstrap = c.lastBootstrap;
  }

  get sentStateChanging(): boolean {
    return this.runner.sent.size > 0;
  }

  async execute(): Promise<void> {
    const wf = this.wf;
    const spec = wf.session;
    let warm = false;
    if (this.key && spec) {
      // A warm session comes from the in-process cache without a promise; Redis only on a miss.
      const stored = this.d.sessions.cached(this.key) ?? (await this.d.sessions.loadForRun(this.key));
      this.base = stored;
      this.baseVersion = stored?.version ?? 0;
      if (stored && this.reusable(stored)) {
        this.adopt(stored);
        warm = true;
        this.d.metrics.sessionReuses.inc();
      } else {
        this.runner.jar = this.freshJar();
      }
    }
    try {
      let repairs = 0;
      const repairedAt = new Set<number>();
      for (let i = 0; i < wf.steps.length; ) {
        const step = wf.steps[i]!;
        if (step.bootstrap && spec && warm) {
          if (this.runner.steps[i]!.status === 'skipped') this.runner.steps[i]!.status = 'reused';
          i++;
          continue;
        }
        if (step.stateChanging && !step.bootstrap && this.runner.sent.has(step.id)) {
          i++;
          continue;
        }
        try {
          await this.runner.run(i);
          if (spec && i === this.lastBootstrap) {
            this.checkLoggedIn(i);
            this.loggedIn = true;
            warm = true;
            this.runner.dirty = true;
          }
          i++;
        } catch (err) {
          noteReason(this.runner.steps[i]!, err);
          this.firstCause ??= (err as Error).message;
          if (!(err instanceof StepFailure) || err.verdict !== 'broken' || !spec || !this.key) throw err;
          // The same refusal right after a login this run made itself is not the session: the
          // account may not do this (a 403), or the page changed. Logging in again will not help.
          if (repairedAt.has(i) && this.loggedIn && !step.bootstrap) {
            throw new StepFailure('target_error', `${err.message}, even right after a fresh login (the account may lack the permission, or the site changed)`, 'error', i);
          }
          if (++repairs > MAX_REPAIRS) throw new AppError('session_broken', `${err.message}, again after ${MAX_REPAIRS} repairs`);
          repairedAt.add(i);
          if (step.bootstrap) this.httpLoginFailed = true;
          await this.repair(err);
          warm = true;
          if (step.bootstrap) i++;
        }
      }
    } finally {
      if (this.key && this.runner.dirty) await this.saveIfChanged();
    }
  }

  /** The stored session has every token later steps need and every session cookie still alive. */
  private reusable(s: StoredSession): boolean {
    let m = reusableUntil.get(s);
    if (!m || m.wf !== this.wf) {
      let until = -Infinity;
      if (s.tokens && this.needed.every((t) => t in s.tokens)) {
        const lifetimes = cookieLifetimes(s);
        until = Infinity;
        for (const c of this.wf.session?.cookies ?? []) until = Math.min(until, lifetimes.get(c) ?? -Infinity);
      }
      reusableUntil.set(s, (m = { wf: this.wf, until }));
    }
    return m.until > Date.now();
  }

  private adopt(s: StoredSession): void {
    this.runner.jar = RunJar.fromStored(s.jar);
    this.runner.scope.restore(s.tokens);
    this.base = s;
    this.baseVersion = s.version;
  }

  /** A jar with the cookies page scripts set during the recording (no response sets them). */
  private freshJar(): RunJar {
    const jar = newJar();
    for (const c of this.wf.session?.jsCookies ?? []) if (c.value !== undefined) setCookie(jar, c.name, c.value, c.domain, c.path);
    return RunJar.of(jar);
  }

  private checkLoggedIn(i: number): void {
    const wanted = this.wf.session?.cookies ?? [];
    if (!wanted.length) return;
    const have = new Set(this.runner.jar.names());
    const missing = wanted.filter((c) => !have.has(c));
    if (missing.length) throw new StepFailure('session_broken', `The login did not set the session cookie${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, 'broken', i);
  }

  private async repair(cause: StepFailure): Promise<void> {
    const started = performance.now();
    const key = this.key!;
    const ttl = Math.min(LOCK_MAX_MS, Math.max(1000, this.deadline - Date.now()));
    let token = await this.d.sessions.lock(key, ttl);
    if (!token) {
      await this.d.sessions.waitUnlocked(key, Math.max(0, this.deadline - Date.now()), this.signal.signal);
      if (await this.adoptNewer()) return this.repaired(cause, 'session repaired by a concurrent run', 'adopted', started);
      token = await this.d.sessions.lock(key, ttl);
      if (!token) throw new AppError('session_broken', `${cause.message}; another run is repairing the session and did not finish in time`);
    }
    let browserTried = false;
    try {
      if (await this.adoptNewer()) return this.repaired(cause, 'session repaired by a concurrent run', 'adopted', started);
      let how: 'http' | 'browser' | undefined;
      let httpError: StepFailure | undefined;
      // HTTP first, even when page script set a cookie at login: the recorded (sealed) values of
      // such cookies are in the fresh jar, and most sites only want them present.
      if (!this.httpLoginFailed) {
        try {
          await this.httpLogin();
          how = 'http';
        } catch (err) {
          if (!(err instanceof StepFailure) || (err.verdict !== 'broken' && err.verdict !== 'drift' && err.verdict !== 'missing' && err.verdict !== 'error')) throw err;
          // A browser cannot answer a CAPTCHA or a second factor either.
          if (err.code === 'captcha_required' || err.code === 'second_factor_required') throw err;
          noteReason(this.runner.steps[err.stepIndex]!, err);
          this.httpLoginFailed = true;
          httpError = err;
          this.log.info('http re-login failed', { workflowId: this.wf.id, reason: err.message });
        }
      }
      if (!how) {
        const why = httpError?.message ?? cause.message;
        if (!this.d.browser) throw new AppError('repair_failed', `The session is broken and cannot be repaired without a browser: ${why}`);
        // Nothing recorded to replay in a browser (a workflow learned from a HAR): say so now.
        if (loginActionCount(this.wf) === 0) throw new AppError('repair_failed', `The session is broken, the HTTP re-login failed and there are no recorded login actions to replay in a browser: ${why}`);
        browserTried = true;
        await this.browserLogin();
        how = 'browser';
      }
      await this.saveRepaired();
      this.repaired(cause, how === 'http' ? 're-logged in over HTTP' : 're-logged in with the browser', how === 'http' ? 'http_relogin' : 'browser_relogin', started);
    } catch (err) {
      const sessionProblem =
        err instanceof StepFailure
          ? err.verdict === 'broken' || err.verdict === 'drift' || err.verdict === 'missing'
          : isAppError(err) && ['session_broken', 'repair_failed', 'action_failed', 'invalid_action', 'site_changed'].includes(err.code);
      // A browser was used, even if it failed: the run says so, with the first cause.
      if (browserTried) {
        this.mode = 'hybrid';
        this.fallback = { reason: `${cause.message}: the browser re-login failed: ${(err as Error).message}`, ms: (this.fallback?.ms ?? 0) + Math.round(performance.now() - started), metric: 'browser_relogin_failed' };
      }
      // The site being down, the deadline, Redis or the pool: not the session's fault, keep it and say what it was.
      if (!sessionProblem) throw err;
      // A session that could not be repaired is dropped, so the next run starts with a login.
      if (this.base) {
        this.base = { ...this.base, loggedIn: false, tokens: {} };
        await this.d.sessions.save(key, this.base).catch(() => undefined);
      }
      if (isAppError(err) && err.code === 'repair_failed') throw err;
      const how = isAppError(err) && (err.code === 'action_failed' || err.code === 'invalid_action') ? 'the browser login failed: ' : '';
      throw new AppError('repair_failed', `${cause.message}; repairing the session failed: ${how}${(err as Error).message}`);
    } finally {
      await this.d.sessions.unlock(key, token);
    }
  }

  private repaired(cause: StepFailure, how: string, metric: string, started: number): void {
    const ms = Math.round(performance.now() - started);
    this.mode = 'hybrid';
    this.fallback = { reason: `${cause.message}: ${how}`, ms: (this.fallback?.ms ?? 0) + ms, metric };
    this.d.metrics.fallbacks.inc({ reason: metric });
    this.log.info('session repaired', { workflowId: this.wf.id, how: metric, ms, cause: cause.message });
  }

  /** Takes the stored session when another run saved a newer, logged-in one. */
  private async adoptNewer(): Promise<boolean> {
    const s = await this.d.sessions.load(this.key!);
    if (!s) return false;
    if (s.version > this.baseVersion && s.loggedIn !== false && this.reusable(s)) {
      this.adopt(s);
      this.runner.dirty = false;
      return true;
    }
    this.base = s;
    this.baseVersion = s.version;
    return false;
  }

  private async httpLogin(): Promise<void> {
    this.runner.jar = this.freshJar();
    for (let i = 0; i <= this.lastBootstrap; i++) {
      if (this.wf.steps[i]!.bootstrap) await this.runner.run(i);
    }
    this.checkLoggedIn(this.lastBootstrap);
    this.loggedIn = true;
  }

  private async browserLogin(): Promise<void> {
    const login = await this.log.inContext(() => this.d.browser!.login(this.wf, this.inputs, this.deadline, this.signal.signal));
    const jar = newJar();
    for (const c of login.cookies) setCookie(jar, c.name, c.value, c.domain, c.path, c);
    const have = new Set(login.cookies.map((c) => c.name));
    for (const c of this.wf.session?.jsCookies ?? []) if (!have.has(c.name) && c.value !== undefined) setCookie(jar, c.name, c.value, c.domain, c.path);
    this.runner.jar = RunJar.of(jar);
    this.checkLoggedIn(this.lastBootstrap);
    // Tokens: re-run the safe steps that supply them, else read them from what the browser got.
    const bySteps = new Map<string, string[]>();
    for (const name of this.needed) {
      const v = this.runner.scope.variable(name);
      if (v?.source.kind !== 'extract') continue;
      bySteps.set(v.source.step, [...(bySteps.get(v.source.step) ?? []), name]);
    }
    for (const [stepId, names] of bySteps) {
      const i = this.wf.steps.findIndex((s) => s.id === stepId);
      const step = this.wf.steps[i];
      if (step && !step.stateChanging) {
        await this.runner.run(i);
        continue;
      }
      const res = login.responses.get(stepId);
      const page = new ResponseView({ status: 200, headers: {}, url: login.url, body: Buffer.from(login.html, 'utf8'), contentType: 'text/html', locations: [], hopUrls: [], setCookies: new Map() });
      const views = res ? [new ResponseView(res), page] : [page];
      for (const name of names) {
        const v = this.runner.scope.variable(name)!;
        const ex = (v.source as { extractor: Parameters<typeof extract>[0] }).extractor;
        const value = views.map((view) => extract(ex, view, this.runner.jar)).find((x) => x !== undefined);
        if (value === undefined) throw new AppError('repair_failed', `After the browser login, ${name} could not be read again (${ex.type} of ${stepId})`);
        this.runner.scope.set(name, value);
      }
    }
    this.loggedIn = true;
    this.runner.dirty = true;
  }

  private snapshot(version: number): StoredSession {
    const tokens: Record<string, unknown> = {};
    for (const t of this.tokens) if (this.runner.scope.has(t)) tokens[t] = this.runner.scope.raw(t);
    return {
      version,
      jar: this.runner.jar.serialize(),
      tokens,
      loggedIn: this.loggedIn || (this.base?.loggedIn ?? false),
      loginAt: this.loggedIn ? Date.now() : (this.base?.loginAt ?? 0),
      updatedAt: Date.now(),
    };
  }

  private async saveRepaired(): Promise<void> {
    const s = this.snapshot(this.baseVersion);
    if (await this.d.sessions.save(this.key!, s)) {
      this.baseVersion = s.version;
      this.runner.dirty = false;
    }
  }

  private async saveIfChanged(): Promise<void> {
    if (!this.key || !this.runner.dirty) return;
    if (!this.loggedIn && !this.base) return;
    const s = this.snapshot(this.baseVersion);
    try {
      if (await this.d.sessions.save(this.key, s)) this.baseVersion = s.version;
    } catch (err) {
      this.log.warn('session not saved', { workflowId: this.wf.id, error: (err as Error).message });
    }
  }
}

/** A failed step says why (the first cause: a later failure of the same step does not overwrite it). */
function noteReason(step: RunStep, err: unknown): void {
  if (step.status === 'failed' && step.reason === undefined && err instanceof Error) step.reason = err.message;
}

const lifetimes = new WeakMap<StoredSession, Map<string, number>>();
/** Per stored session (and the workflow asking): until when it may be reused (-Infinity: never), worked out once. */
const reusableUntil = new WeakMap<StoredSession, { wf: Workflow; until: number }>();

/** Per cookie name, when its last copy in the stored jar expires (Infinity: a session cookie), read once per stored version. */
function cookieLifetimes(s: StoredSession): Map<string, number> {
  let m = lifetimes.get(s);
  if (m) return m;
  m = new Map();
  for (const c of s.jar?.cookies ?? []) {
    const t = !c.expires || c.expires === 'Infinity' ? Infinity : Date.parse(String(c.expires));
    const key = String(c.key);
    // An unreadable date counts as expired, as before.
    const v = Number.isNaN(t) ? -Infinity : t;
    m.set(key, Math.max(m.get(key) ?? -Infinity, v));
  }
  lifetimes.set(s, m);
  return m;
}

function setCookie(jar: CookieJar, name: string, value: string, domain: string, path: string, c?: Partial<Cookie>): void {
  const host = domain.replace(/^\./, '');
  const secure = c?.secure ?? false;
  const url = `${secure ? 'https' : 'http'}://${host}${path || '/'}`;
  let str = `${name}=${value}; Path=${path || '/'}`;
  if (domain.startsWith('.')) str += `; Domain=${host}`;
  if (c?.expires !== undefined && c.expires > 0) str += `; Expires=${new Date(c.expires * 1000).toUTCString()}`;
  if (c?.httpOnly) str += '; HttpOnly';
  if (secure) str += '; Secure';
  try {
    jar.setCookieSync(str, url, { ignoreError: true });
  } catch {
    // A cookie tough-cookie will not take is one the HTTP runner could not send either.
  }
}
