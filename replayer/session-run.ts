import { AppError, type Workflow } from '../core/index.js';
import type { BrowserRunner } from './browser-runner.js';
import { jarOfLogin, missingSessionCookies, recordedJar, rereadTokens } from './browser-login.js';
import { loginActionCount } from './login-actions.js';
import { HttpStepRunner, type HttpRunDeps } from './http-run.js';
import { noteReason, repairFailure, StepFailure } from './step-failure.js';
import { FormChanged } from './step-drift.js';
import type { ReplayMetrics } from './replay-metrics.js';
import type { RunInputs } from './run-inputs.js';
import type { RunAbort } from './run-abort.js';
import { RunJar } from './run-jar.js';
import type { SessionStore } from './session-store.js';
import type { StoredSession } from './stored-session.js';
import { usableUntil } from './session-cookies.js';
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
  fallback?: { reason: string; ms: number; metric: string; browser?: boolean };
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
    let warm = this.key && spec ? await this.startSession(this.key) : false;
    try {
      const repairs = { count: 0, at: new Set<number>() };
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
          await this.recover(err, i, repairs);
          warm = true;
          if (step.bootstrap) i++;
        }
      }
    } finally {
      if (this.key && this.runner.dirty) await this.saveIfChanged();
    }
  }

  /** Loads the stored session; true when it is warm (adopted: the login steps are skipped). */
  private async startSession(key: string): Promise<boolean> {
    // A warm session comes from the in-process cache without a promise; Redis only on a miss.
    const stored = this.d.sessions.cached(key) ?? (await this.d.sessions.loadForRun(key));
    this.base = stored;
    this.baseVersion = stored?.version ?? 0;
    if (stored && this.reusable(stored)) {
      this.adopt(stored);
      this.d.metrics.sessionReuses.inc();
      return true;
    }
    this.runner.jar = recordedJar(this.wf);
    return false;
  }

  /** Step i failed: a broken session is repaired (the run then resumes); anything else is thrown. */
  private async recover(err: unknown, i: number, repairs: { count: number; at: Set<number> }): Promise<void> {
    const step = this.wf.steps[i]!;
    noteReason(this.runner.steps[i]!, err);
    this.firstCause ??= (err as Error).message;
    if (!(err instanceof StepFailure) || err.verdict !== 'broken' || !this.wf.session || !this.key) throw err;
    // The same refusal right after a login this run made itself is not the session: the
    // account may not do this (a 403), or the page changed. Logging in again will not help.
    if (repairs.at.has(i) && this.loggedIn && !step.bootstrap) {
      throw new StepFailure('target_error', `${err.message}, even right after a fresh login (the account may lack the permission, or the site changed)`, 'error', i);
    }
    if (++repairs.count > MAX_REPAIRS) throw new AppError('session_broken', `${err.message}, again after ${MAX_REPAIRS} repairs`);
    repairs.at.add(i);
    if (step.bootstrap) this.httpLoginFailed = true;
    await this.repair(err);
  }

  /** The stored session has every token later steps need and every session cookie still alive. */
  private reusable(s: StoredSession): boolean {
    return usableUntil(s, this.wf, this.needed) > Date.now();
  }
  private adopt(s: StoredSession): void {
    this.runner.jar = RunJar.fromStored(s.jar);
    this.runner.scope.restore(s.tokens);
    this.base = s;
    this.baseVersion = s.version;
  }

  private checkLoggedIn(i: number): void {
    const missing = missingSessionCookies(this.wf, this.runner.jar);
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
    const tried = { browser: false };
    try {
      if (await this.adoptNewer()) return this.repaired(cause, 'session repaired by a concurrent run', 'adopted', started);
      const how = await this.relogin(cause, tried);
      await this.saveRepaired();
      this.repaired(cause, how === 'http' ? 're-logged in over HTTP' : 're-logged in with the browser', how === 'http' ? 'http_relogin' : 'browser_relogin', started);
    } catch (err) {
      throw await this.repairFailed(err, cause, started, tried.browser);
    } finally {
      await this.d.sessions.unlock(key, token);
    }
  }

  /** Logs in again: over HTTP first, then (mode auto) with the recorded login in a browser. */
  private async relogin(cause: StepFailure, tried: { browser: boolean }): Promise<'http' | 'browser'> {
    let httpError: StepFailure | undefined;
    // HTTP first, even when page script set a cookie at login: the recorded (sealed) values of
    // such cookies are in the fresh jar, and most sites only want them present.
    if (!this.httpLoginFailed) {
      try {
        await this.httpLogin();
        return 'http';
      } catch (err) {
        if (!(err instanceof StepFailure) || (err.verdict !== 'broken' && err.verdict !== 'drift' && err.verdict !== 'missing' && err.verdict !== 'error')) throw err;
        // The login form changed, nothing state-changing sent: the whole run goes to the browser (and heals).
        if (err instanceof FormChanged && this.d.browser && !this.runner.sent.size && this.wf.actions?.length) throw err;
        // A browser cannot answer a CAPTCHA or a second factor either.
        if (err.category === 'person') throw err;
        noteReason(this.runner.steps[err.stepIndex]!, err);
        this.httpLoginFailed = true;
        httpError = err;
        this.log.info('http re-login failed', { workflowId: this.wf.id, reason: err.message });
      }
    }
    const why = httpError?.message ?? cause.message;
    if (!this.d.browser) throw new AppError('repair_failed', `The session is broken and cannot be repaired without a browser: ${why}`);
    // Nothing recorded to replay in a browser (a workflow learned from a HAR): say so now.
    if (loginActionCount(this.wf) === 0) throw new AppError('repair_failed', `The session is broken, the HTTP re-login failed and there are no recorded login actions to replay in a browser: ${why}`);
    tried.browser = true;
    await this.browserLogin();
    return 'browser';
  }

  /** What a failed repair throws; a session that could not be repaired is dropped first. */
  private async repairFailed(err: unknown, cause: StepFailure, started: number, browserTried: boolean): Promise<unknown> {
    // A browser was used, even if it failed: the run says so, with the first cause.
    if (browserTried) {
      this.mode = 'hybrid';
      this.fallback = { reason: `${cause.message}: the browser re-login failed: ${(err as Error).message}`, ms: (this.fallback?.ms ?? 0) + Math.round(performance.now() - started), metric: 'browser_relogin_failed', browser: true };
    }
    const { sessionProblem, error } = repairFailure(err, cause);
    // A session that could not be repaired is dropped, so the next run starts with a login.
    if (sessionProblem && this.base) {
      this.base = { ...this.base, loggedIn: false, tokens: {} };
      await this.d.sessions.save(this.key!, this.base).catch(() => undefined);
    }
    return err instanceof FormChanged ? err : error;
  }

  private repaired(cause: StepFailure, how: string, metric: string, started: number): void {
    const ms = Math.round(performance.now() - started);
    this.mode = 'hybrid';
    this.fallback = { reason: `${cause.message}: ${how}`, ms: (this.fallback?.ms ?? 0) + ms, metric, ...(metric === 'browser_relogin' || this.fallback?.browser ? { browser: true } : {}) };
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
    this.runner.jar = recordedJar(this.wf);
    for (let i = 0; i <= this.lastBootstrap; i++) {
      if (this.wf.steps[i]!.bootstrap) await this.runner.run(i);
    }
    this.checkLoggedIn(this.lastBootstrap);
    this.loggedIn = true;
  }

  private async browserLogin(): Promise<void> {
    const login = await this.log.inContext(() => this.d.browser!.login(this.wf, this.inputs, this.deadline, this.signal.signal));
    this.runner.jar = jarOfLogin(this.wf, login);
    this.checkLoggedIn(this.lastBootstrap);
    await rereadTokens(this.runner, this.wf, this.needed, login);
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
