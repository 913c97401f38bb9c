import { AppError, type ErrorCode, type ErrorDetail, type RunOutput, type RunStep, type Workflow, type WorkflowStep } from '../core/index.js';
import { detect, type Verdict } from './break-detector.js';
import { compileWorkflow, plainPath, type CompiledWorkflow } from './compiled-workflow.js';
import { toOutput } from './browser-runner.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { extract, ResponseView } from './extract.js';
import { TransportError, type HttpClient, type HttpResponse } from './http-client.js';
import type { ReplayMetrics } from './replay-metrics.js';
import { humanCheck } from './human-check.js';
import { checkOutcome } from './outcome-check.js';
import { buildRequest } from './request-builder.js';
import type { RunAbort } from './run-abort.js';
import type { RunJar } from './run-jar.js';
import type { RunJournal } from './run-journal.js';
import { MissingValueError, VariableScope } from './variable-scope.js';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface HttpRunDeps {
  client: HttpClient;
  breaker: CircuitBreaker;
  metrics: ReplayMetrics;
  retries: RetryPolicy;
  stepTimeoutMs: number;
}

/** A step that did not go through, with what it means for the run. */
export class StepFailure extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly verdict: Verdict['kind'] | 'missing' | 'transport' | 'outcome',
    readonly stepIndex: number,
    details?: ErrorDetail[],
  ) {
    super(code, message, details);
  }
}

/**
 * Executes workflow steps over HTTP for one run: templating, the cookie jar, redirects, retries
 * with backoff, the circuit breaker, break detection and extraction. Knows nothing of sessions
 * in Redis or of browsers (SessionRun drives it).
 */
export class HttpStepRunner {
  readonly steps: RunStep[];
  readonly scope: VariableScope;
  jar: RunJar;
  output?: RunOutput;
  /** Non-bootstrap state-changing steps that were answered: never sent again in this run. */
  readonly sent = new Set<string>();
  /** The jar or tokens changed (the session needs saving). */
  dirty = false;
  /** The run's step journal (runs from the queue): state-changing steps are claimed before they are sent. */
  journal?: RunJournal;
  private readonly c: CompiledWorkflow;

  constructor(
    private readonly d: HttpRunDeps,
    private readonly wf: Workflow,
    private readonly input: (name: string) => unknown,
    jar: RunJar,
    private readonly deadline: number,
    private readonly signal: RunAbort,
  ) {
    this.jar = jar;
    this.c = compileWorkflow(wf);
    this.scope = new VariableScope(this.c.variables, input);
    this.steps = wf.steps.map((s) => ({ id: s.id, status: 'skipped', ms: 0, attempts: 0 }));
  }

  /** Runs step i with retries; resolves once it succeeded and its variables are extracted. */
  async run(i: number): Promise<ResponseView> {
    const step = this.wf.steps[i]!;
    const rec = this.steps[i]!;
    const { attempts, baseDelayMs, maxDelayMs } = this.d.retries;
    for (let attempt = 1; ; attempt++) {
      this.checkDeadline();
      let req;
      try {
        req = buildRequest(step, this.scope, this.wf.origins[0]);
      } catch (err) {
        if (err instanceof MissingValueError) {
          rec.status = 'failed';
          if (err.source === 'extract') throw new StepFailure('site_changed', `${step.id} (${step.description}) needs ${err.variable}, which an earlier step no longer provided`, 'missing', i);
          throw new StepFailure('invalid_input', `${step.id} (${step.description}): ${err.message}`, 'missing', i);
        }
        throw err;
      }
      // The URL is only parsed when its path could change in parsing (compiled-workflow plainPath).
      const literal = this.c.urlOrigin[i];
      const path = literal !== undefined ? plainPath(req.url, literal) : undefined;
      let origin: string;
      if (path !== undefined) {
        origin = literal!;
        req.path = path;
      } else {
        const url = new URL(req.url);
        origin = url.origin;
        req.parsedUrl = url;
      }
      req.origin = origin;
      const effect = this.journal !== undefined && step.stateChanging && !step.bootstrap;
      // An answer an earlier execution of this run recorded: the step is not sent again.
      const recorded = effect ? await this.claim(i) : undefined;
      if (!recorded) await this.d.breaker.enter(origin, this.signal);
      rec.attempts++;
      const started = performance.now();
      let verdict: Verdict;
      let view: ResponseView | undefined;
      let transport: TransportError | undefined;
      // The step's timeout doubles as the run deadline's timer when the deadline is nearer.
      const untilDeadline = this.deadline - Date.now();
      try {
        const timeoutMs = Math.max(1, Math.min(this.d.stepTimeoutMs, untilDeadline));
        const res = recorded ?? (await this.d.client.send(req, { jar: this.jar, origins: this.c.origins, maxHops: step.redirects, signal: this.signal.live ? this.signal : undefined, timeoutMs }));
        if (res.setCookies.size) this.dirty = true;
        view = new ResponseView(res);
        verdict = detect(step, view, this.c.detect[i]!, this.c.patterns);
        if (verdict.kind === 'broken' && verdict.landing !== undefined) verdict = await this.judgeLanding(step, verdict, res.url, timeoutMs);
      } catch (err) {
        if (!(err instanceof TransportError)) {
          rec.status = 'failed';
          // Refused before it left (an address the policy forbids): it did not act.
          if (effect && err instanceof AppError && err.code === 'target_forbidden') this.journal!.withdraw(step.id);
          throw err;
        }
        transport = err;
        verdict = { kind: 'transient', reason: err.message };
      }
      const ms = performance.now() - started;
      rec.ms += Math.round(ms);
      if (view) rec.httpStatus = view.res.status;
      this.d.metrics.stepDurationHttp.observe(ms / 1000);

      if (verdict.kind === 'transient') {
        if (transport?.kind === 'timeout' && untilDeadline <= this.d.stepTimeoutMs) this.signal.expire();
        if (transport?.kind === 'aborted' || this.signal.aborted) {
          rec.status = 'failed';
          throw this.deadlineError();
        }
        if (transport?.kind === 'timeout') transport = new TransportError('timeout', `${step.id} (${step.description}) took longer than ${this.d.stepTimeoutMs} ms`, true);
        if (transport?.kind === 'too_large') {
          rec.status = 'failed';
          throw new StepFailure('target_error', transport.message, 'error', i);
        }
        this.d.breaker.failure(origin);
        const status = view?.res.status;
        // A state-changing request is only sent again when it certainly was not acted upon.
        const resendable = !step.stateChanging || (transport ? !transport.delivered : status === 429 || status === 503);
        if (effect && !recorded) {
          // Journal: not acted → may be sent again; answered otherwise → its answer; a request
          // delivered but unanswered stays "sent" (its outcome is unknown).
          if (resendable) this.journal!.withdraw(step.id);
          else if (view) this.journal!.answered(step.id, `${step.id} (${step.description})`, view.res);
        }
        const retryAfter = verdict.retryAfterMs;
        const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        const delay = retryAfter !== undefined ? retryAfter : backoff / 2 + Math.random() * (backoff / 2);
        if (attempt < attempts && resendable && Date.now() + delay < this.deadline) {
          this.d.metrics.retries.inc({ reason: transport ? transport.kind : String(status) });
          await this.sleep(delay);
          continue;
        }
        rec.status = 'failed';
        throw this.transientFailure(step, i, attempt, transport, status, retryAfter);
      }
      this.d.breaker.success(origin);
      const v = view!;
      if (verdict.kind !== 'ok') {
        // A CAPTCHA or a one-time-code form where the recording had none: no repair can help.
        const human = humanCheck(v.res.contentType, v.text, `${step.id} (${step.description})`);
        if (human) {
          rec.status = 'failed';
          throw new StepFailure(human.code, human.message, 'error', i);
        }
      }
      if (step.stateChanging && !step.bootstrap && (verdict.kind !== 'broken' || v.res.hopUrls.length > 0)) {
        this.sent.add(step.id);
        if (effect && !recorded) this.journal!.answered(step.id, `${step.id} (${step.description})`, v.res);
      } else if (effect && !recorded) this.journal!.withdraw(step.id);
      if (verdict.kind === 'broken') {
        rec.status = 'failed';
        throw new StepFailure('session_broken', verdict.reason, 'broken', i);
      }
      if (step.id === this.wf.output.step) this.output = v.isJsonType && v.json.ok ? { status: v.res.status, contentType: v.res.contentType, body: v.json.value } : toOutput(v.res.status, v.res.contentType, v.res.body);
      if (verdict.kind === 'drift') {
        rec.status = 'failed';
        throw new StepFailure('site_changed', verdict.reason, 'drift', i);
      }
      if (verdict.kind === 'error') {
        rec.status = 'failed';
        throw new StepFailure('target_error', verdict.reason, 'error', i);
      }
      this.extractFrom(step, v, i);
      if ((step.expect.shows || step.redirects > 0) && step.id === this.wf.output.step) {
        const miss = checkOutcome(step, this.input, { status: v.res.status, contentType: v.res.contentType, text: v.text, urls: [...v.res.locations, v.res.url], hops: v.res.hopUrls.length, json: v.isJsonType && v.json.ok ? v.json.value : undefined });
        if (miss) {
          rec.status = 'failed';
          throw new StepFailure('outcome_mismatch', miss.message, 'outcome', i, miss.details);
        }
      }
      rec.status = recorded ? 'reused' : 'succeeded';
      return v;
    }
  }

  /**
   * Claims state-changing step i in the journal before it is sent. Returns the answer an earlier
   * execution of this run recorded (not sent again); throws outcome_unknown when an earlier
   * execution sent it and its answer was lost, unless the step is idempotent.
   */
  private async claim(i: number): Promise<HttpResponse | undefined> {
    const step = this.wf.steps[i]!;
    const what = `${step.id} (${step.description})`;
    const prior = await this.journal!.claim(step.id, what);
    if (!prior) return undefined;
    if (prior.state === 'answered' && prior.answer) return this.journal!.answerOf(prior, (c, url) => this.jar.store(c, url) && (this.dirty = true));
    if (this.c.idempotent[i]) {
      await this.journal!.reclaim(step.id, what);
      return undefined;
    }
    this.steps[i]!.status = 'failed';
    throw new StepFailure(
      'outcome_unknown',
      `${what} was sent by an earlier attempt of this run (attempt ${prior.attempt}, whose worker stopped) and its answer was lost: it may have acted, so it is not sent again`,
      'outcome',
      i,
      [{ path: `steps.${step.id}`, message: 'sent; answer not recorded', state: prior.state }],
    );
  }

  /** Extracts the variables a step supplies; a missing one is a broken session (login page) or a changed site. */
  extractFrom(step: WorkflowStep, view: ResponseView, i: number): void {
    for (const { name, ex } of this.c.extractors.get(step.id) ?? []) {
      const value = extract(ex, view, this.jar);
      if (value === undefined) {
        this.steps[i]!.status = 'failed';
        const loginForm = /<input\b[^>]*\btype\s*=\s*["']?password\b/i.test(view.text) && !this.c.loginPageSteps.has(step.id);
        const where = `${ex.type}${'name' in ex ? ` ${ex.name}` : 'path' in ex ? ` ${ex.path}` : ''}`;
        if (loginForm) throw new StepFailure('session_broken', `${step.id} (${step.description}) answered a login form without ${where}`, 'broken', i);
        if (step.bootstrap && this.wf.session) throw new StepFailure('session_broken', `${step.id} (${step.description}) no longer holds ${where} (for ${name})`, 'broken', i);
        throw new StepFailure('site_changed', `${step.id} (${step.description}) no longer holds ${where} (for ${name})`, 'drift', i);
      }
      this.scope.set(name, value);
    }
  }

  /**
   * A redirect to the login page's path that was not followed: look where it lands. A page there
   * without a login form (`/index.php?route=/`, the app's home on a single-entry-point app) is no
   * broken session but an answer the step did not expect.
   */
  private async judgeLanding(step: WorkflowStep, verdict: Extract<Verdict, { kind: 'broken' }>, from: string, timeoutMs: number): Promise<Verdict> {
    let url: URL;
    try {
      url = new URL(verdict.landing!, from);
    } catch {
      return verdict;
    }
    if (!this.c.origins.has(url.origin)) return verdict;
    try {
      const res = await this.d.client.send({ method: 'GET', url: url.href, parsedUrl: url, headers: { accept: 'text/html,application/xhtml+xml' } }, { jar: this.jar, origins: this.c.origins, maxHops: 5, signal: this.signal.live ? this.signal : undefined, timeoutMs });
      const text = res.body.toString('utf8');
      if (res.status >= 200 && res.status < 300 && !/<input\b[^>]*\btype\s*=\s*["']?password\b/i.test(text)) {
        return { kind: 'error', reason: `${step.id} (${step.description}) was redirected to ${url.pathname}${url.search}, which is not the login page (no login form there)` };
      }
    } catch {
      // Cannot look: keep the verdict from the URL alone.
    }
    return verdict;
  }

  checkDeadline(): void {
    if (!this.signal.aborted && Date.now() >= this.deadline) this.signal.expire();
    if (this.signal.aborted) throw this.deadlineError();
  }

  deadlineError(): AppError {
    const reason = this.signal.reason;
    if (reason instanceof AppError) return reason;
    return new AppError('run_deadline_exceeded', 'The run deadline passed');
  }

  private transientFailure(step: WorkflowStep, i: number, attempts: number, transport: TransportError | undefined, status: number | undefined, retryAfter: number | undefined): StepFailure {
    const what = `${step.id} (${step.description})`;
    const tries = `after ${attempts} attempt${attempts > 1 ? 's' : ''}`;
    if (transport?.kind === 'timeout') return new StepFailure('target_timeout', `${what} timed out ${tries}`, 'transport', i);
    if (transport) return new StepFailure('target_unreachable', `${what}: ${transport.message.replace(/^.*?: /, '')} ${tries}`, 'transport', i);
    if (status === 429) {
      const wait = retryAfter !== undefined ? `; the site asks to wait ${Math.ceil(retryAfter / 1000)} s` : '';
      return new StepFailure('target_error', `${what} was rate limited (429) ${tries}${wait}`, 'transient', i);
    }
    return new StepFailure('target_error', `${what} answered ${status} ${tries}`, 'transient', i);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(t);
        reject(this.deadlineError());
      };
      const t = setTimeout(() => {
        this.signal.removeListener('abort', onAbort);
        resolve();
      }, ms);
      this.signal.once('abort', onAbort);
    });
  }
}

