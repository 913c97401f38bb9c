import type { BrowserContext, Cookie, Page, Response } from 'playwright';
import { AppError, type Action, type Logger, type RunOutput, type RunStep, type Workflow, type WorkflowStep } from '../core/index.js';
import { performAction, type BrowserPool, type EgressRules, type Lease } from '../browser-pool/index.js';
import { actionsWithInputs } from './action-inputs.js';
import { BrowserAttempt, crashedUnder, noteRetry, outcomeUnknown, type Effect } from './browser-attempt.js';
import { compileWorkflow } from './compiled-workflow.js';
import { outcomeOf, toHttpResponse } from './browser-response.js';
import type { HttpResponse } from './http-client.js';
import { loginActionCount } from './login-actions.js';
import { refusalReason, type ReplayMetrics } from './replay-metrics.js';
import { knownParts, requestMatcher, type Matcher } from './request-matcher.js';
import type { RunInputs } from './run-inputs.js';
import { stringify } from './variable-scope.js';
import { actionLabel } from './action-label.js';

export interface BrowserRunnerOptions {
  pool: BrowserPool;
  logger: Logger;
  metrics: ReplayMetrics;
  /** Longest wait of one action (ms). */
  actionTimeoutMs: number;
  /**
   * Addresses the browser may reach: the replays' policy (ALLOW_LOOPBACK_TARGETS, ALLOW_PRIVATE_TARGETS).
   * With the workflow's origins, enforced on every connection (redirect hops included) by the lease's egress proxy. Required.
   */
  policy: EgressRules['policy'];
}

export interface BrowserLogin {
  cookies: Cookie[];
  /** The page the login ended on (tokens may be read from it). */
  html: string;
  url: string;
  /** Final responses (redirects followed) the page got for bootstrap steps, by step id. */
  responses: Map<string, HttpResponse>;
  ms: number;
}

export interface BrowserRunResult {
  output: RunOutput;
  steps: RunStep[];
}

const SESSION_COOKIE_WAIT_MS = 10_000;

/**
 * What the replayer does in a pooled browser: the whole workflow (browser mode, and the last
 * fallback), or only its login (session repair). Every request the page makes outside the
 * workflow's origins is blocked, and during a login repair so are the workflow's own
 * state-changing API calls, so a repair can never create anything.
 */
export class BrowserRunner {
  constructor(private readonly o: BrowserRunnerOptions) {}

  /**
   * Replays the recorded login in a fresh context and returns its cookies, its landing page and
   * the responses the page got for the bootstrap steps (tokens are re-read from them).
   */
  async login(wf: Workflow, inputs: RunInputs, deadline: number, signal: AbortSignal): Promise<BrowserLogin> {
    const started = performance.now();
    const count = loginActionCount(wf);
    if (count === 0) throw new AppError('repair_failed', 'The recording has no login actions to replay in a browser');
    const blocked = wf.steps.filter((s) => s.stateChanging && !s.bootstrap).map((s) => requestMatcher(s.request.method, knownParts(wf, s.request.url, inputs)));
    const watched = wf.steps.filter((s) => s.bootstrap).map((s) => ({ id: s.id, match: requestMatcher(s.request.method, knownParts(wf, s.request.url, inputs)) }));
    const attemptLogin = (attempt: BrowserAttempt) => this.withPage(wf, deadline, signal, blocked, attempt, async (lease, page) => {
      const seen = new Map<string, Response>();
      page.on('response', (r) => {
        const w = watched.find((x) => x.match(r.request().method(), r.url()));
        if (w) seen.set(w.id, r);
      });
      const steps: RunStep[] = [];
      await this.play(lease, page, actionsWithInputs(wf, inputs).slice(0, count), inputs, deadline, steps);
      const wanted = wf.session?.cookies ?? [];
      const cookies = await this.waitForCookies(lease.context, wanted, deadline);
      await page.waitForLoadState('load', { timeout: Math.max(1, Math.min(this.o.actionTimeoutMs, deadline - Date.now())) }).catch(() => undefined);
      const html = await lease.guard(() => page.content()).catch(() => '');
      const responses = new Map<string, HttpResponse>();
      for (const [id, r] of seen) {
        const res = await lease.guard(() => toHttpResponse(r)).catch(() => undefined);
        if (res) responses.set(id, res);
      }
      return { cookies: await lease.context.cookies().catch(() => cookies), html, url: page.url(), responses, ms: performance.now() - started };
    });
    // The login's state-changing calls are blocked, never sent: a login whose browser crashed is always tried once more.
    const { result } = await this.retryOnCrash('browser login', [], deadline, signal, attemptLogin);
    return result;
  }

  /**
   * The whole workflow in a browser; the output step's response is captured from the network.
   * A browser that crashes before the page sent any state-changing request is replaced and the
   * run tried once more (the retry is noted on the run's steps); after such a request went out
   * the run fails with outcome_unknown instead, as the site may already have acted.
   */
  async run(wf: Workflow, inputs: RunInputs, deadline: number, signal: AbortSignal, opts: { recordHar?: string } = {}): Promise<BrowserRunResult> {
    const out = wf.steps.find((s) => s.id === wf.output.step) ?? wf.steps[wf.steps.length - 1];
    if (!out) throw new AppError('invalid_request', 'The workflow has no steps');
    if (!wf.actions?.length) throw new AppError('invalid_request', 'The workflow has no recorded actions to replay in a browser (it was learned from a HAR): run it in mode http or auto');
    const effects = wf.steps.filter((s) => s.stateChanging && !s.bootstrap).map((step) => ({ step, match: requestMatcher(step.request.method, knownParts(wf, step.request.url, inputs)) }));
    const { result, crashed } = await this.retryOnCrash('browser run', effects, deadline, signal, (attempt) =>
      this.withPage(wf, deadline, signal, [], attempt, (lease, page) => this.runIn(lease, page, wf, out, inputs, deadline, attempt.steps), opts.recordHar),
    );
    if (crashed) noteRetry(result.steps, crashed);
    return result;
  }

  private async runIn(lease: Lease, page: Page, wf: Workflow, out: WorkflowStep, inputs: RunInputs, deadline: number, steps: RunStep[]): Promise<BrowserRunResult> {
    const match = requestMatcher(out.request.method, knownParts(wf, out.request.url, inputs));
    let captured: Response | undefined;
    let notify: (() => void) | undefined;
    page.on('response', (r) => {
      if (match(r.request().method(), r.url())) {
        captured = r;
        notify?.();
      }
    });
    try {
      await this.play(lease, page, actionsWithInputs(wf, inputs), inputs, deadline, steps);
    } catch (err) {
      // An action that fails after the output request went out (a wait for the saved page): the
      // answer the site gave is the telling cause when it is not the recorded outcome.
      const miss = captured ? await lease.guard(() => outcomeOf(out, inputs, captured!)).then((o) => o.miss, () => undefined) : undefined;
      throw miss ?? err;
    }
    if (!captured) {
      await lease.guard(
        () =>
          new Promise<void>((resolve, reject) => {
            const t = setTimeout(() => reject(new AppError('site_changed', `The browser run never requested ${out.description} (the output step)`)), Math.max(0, Math.min(this.o.actionTimeoutMs, deadline - Date.now())));
            notify = () => {
              clearTimeout(t);
              resolve();
            };
          }),
      );
    }
    const { output, miss } = await lease.guard(() => outcomeOf(out, inputs, captured!));
    if (miss) throw miss;
    return { output, steps };
  }

  /**
   * Runs `attempt` and, when its browser crashed with nothing state-changing sent, once more on a
   * fresh browser (the pool never hands out a crashed browser again). Returns the attempt that
   * crashed, if any, so the caller can say so.
   */
  private async retryOnCrash<T>(what: string, effects: Effect[], deadline: number, signal: AbortSignal, attempt: (a: BrowserAttempt) => Promise<T>): Promise<{ result: T; crashed?: BrowserAttempt }> {
    const first = new BrowserAttempt(effects);
    try {
      return { result: await attempt(first) };
    } catch (err) {
      if (signal.aborted || !(await crashedUnder(first.lease, err))) throw err;
      if (first.sent.length) throw outcomeUnknown(what, first.sent, err);
      if (Date.now() >= deadline) throw err;
      this.o.logger.warn('browser crashed: retrying once on a fresh browser', { what, actions: first.steps.length, error: (err as Error).message });
    }
    const second = new BrowserAttempt(effects, first.lease?.browser);
    try {
      return { result: await attempt(second), crashed: first };
    } catch (err) {
      if (signal.aborted || !(await crashedUnder(second.lease, err))) throw err;
      if (second.sent.length) throw outcomeUnknown(what, second.sent, err);
      throw new AppError('browser_crashed', `The browser crashed during the ${what}, and again on the retry in a fresh browser; nothing state-changing was sent: ${(err as Error).message}`, { cause: err });
    }
  }

  private async withPage<T>(wf: Workflow, deadline: number, signal: AbortSignal, blocked: Matcher[], attempt: BrowserAttempt, fn: (lease: Lease, page: Page) => Promise<T>, recordHar?: string): Promise<T> {
    if (signal.aborted) throw signal.reason;
    const origins = compileWorkflow(wf).origins;
    // The enforcement: route() below is not asked about redirect hops (nor WebSockets); the egress proxy sees every connection.
    const lease = await this.o.pool.lease({ egress: this.egress(origins), ...(recordHar ? { recordHar: { path: recordHar, content: 'embed', mode: 'full' } } : {}) });
    const onAbort = () => void lease.release();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      attempt.onLease(lease);
      // Fast, plain refusals of what route() does see, and the requests a login repair must not send.
      await lease.context.route('**/*', (route) => {
        const req = route.request();
        let origin: string;
        try {
          origin = new URL(req.url()).origin;
        } catch {
          return route.abort('blockedbyclient');
        }
        const local = req.url().startsWith('data:') || req.url().startsWith('blob:');
        if (!local && !origins.has(origin)) return route.abort('blockedbyclient');
        if (blocked.some((m) => m(req.method(), req.url()))) return route.abort('blockedbyclient');
        return route.continue();
      });
      const page = await lease.guard(() => lease.context.newPage());
      return await fn(lease, page);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await lease.release();
    }
  }

  /** The egress proxy's rules for a run: only the workflow's origins (by host and port), and only addresses the policy allows. */
  private egress(origins: Set<string>): EgressRules {
    const allowed = new Set<string>();
    for (const o of origins) {
      try {
        const u = new URL(o);
        allowed.add(`${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`);
      } catch {
        // Not an origin a browser can connect to.
      }
    }
    return {
      policy: this.o.policy,
      allow: (host, port) => (allowed.has(`${host}:${port}`) ? undefined : `${host}:${port} is not one of the workflow's origins`),
      onRefused: (host, port, why) => {
        this.o.metrics.egressRefused.inc({ mode: 'browser', reason: refusalReason(why) });
        this.o.logger.info('browser connection refused', { host, port, reason: why });
      },
    };
  }

  private async play(lease: Lease, page: Page, actions: Action[], inputs: RunInputs, deadline: number, steps: RunStep[]): Promise<void> {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      const started = performance.now();
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new AppError('run_deadline_exceeded', 'The run deadline passed during the browser replay');
      let value: string | undefined;
      if (a.input) {
        const v = inputs.get(a.input);
        if (v !== undefined) value = stringify(v);
        else if (a.secret) throw new AppError('invalid_input', `No value for secret input ${a.input}`, { details: [{ path: `inputs.${a.input}`, message: 'is required for the browser replay' }] });
      }
      try {
        await lease.guard(() => performAction(page, a, { value, timeoutMs: Math.min(this.o.actionTimeoutMs, remaining) }));
      } catch (err) {
        steps.push({ id: `a${i + 1}`, action: actionLabel(a), status: 'failed', ms: Math.round(performance.now() - started), attempts: 1 });
        throw err;
      }
      const ms = performance.now() - started;
      this.o.metrics.stepDuration.observe({ mode: 'browser' }, ms / 1000);
      steps.push({ id: `a${i + 1}`, action: actionLabel(a), status: 'succeeded', ms: Math.round(ms), attempts: 1 });
    }
  }

  private async waitForCookies(context: BrowserContext, names: string[], deadline: number): Promise<Cookie[]> {
    const until = Math.min(deadline, Date.now() + SESSION_COOKIE_WAIT_MS);
    for (;;) {
      const cookies = await context.cookies();
      const have = new Set(cookies.map((c) => c.name));
      const missing = names.filter((n) => !have.has(n));
      if (missing.length === 0) return cookies;
      if (Date.now() >= until) throw new AppError('repair_failed', `The browser login did not set the session cookie${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
