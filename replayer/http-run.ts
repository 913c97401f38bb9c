import { AppError, type RunOutput, type RunStep, type Workflow, type WorkflowStep } from '../core/index.js';
import { detect, type Verdict } from './break-detector.js';
import { stepDrift } from './step-drift.js';
import { compileWorkflow, plainPath, type CompiledWorkflow } from './compiled-workflow.js';
import { toOutput } from './run-output.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { extract, ResponseView } from './extract.js';
import { TransportError, type HttpClient, type HttpRequest, type HttpResponse } from './http-client.js';
import type { ReplayMetrics } from './replay-metrics.js';
import { humanCheck } from './human-check.js';
import { checkOutcome } from './outcome-check.js';
import { buildRequest } from './request-builder.js';
import type { RunAbort } from './run-abort.js';
import type { RunJar } from './run-jar.js';
import type { RunJournal } from './run-journal.js';
import { answerLost, judgeLanding, StepFailure, transientFailure } from './step-failure.js';
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

/** One attempt at a step, as it goes. */
interface Try {
  step: WorkflowStep;
  i: number;
  attempt: number;
  origin: string;
  /** A state-changing step of a journalled run. */
  effect: boolean;
  /** The answer an earlier execution of the run recorded (not sent again). */
  recorded?: HttpResponse;
  view?: ResponseView;
  transport?: TransportError;
  verdict: Verdict;
  untilDeadline?: number;
}

const OK: Verdict = { kind: 'ok' };

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
  warnings?: string[]; // what did not stop the run but differs from the recording (Run.warnings)
  /** Non-bootstrap state-changing steps the site accepted (answered, not refused with a 4xx): never sent again in this run. */
  readonly sent = new Set<string>();
  dirty = false; // the jar or tokens changed (the session needs saving)
  /** The run's step journal (runs from the queue): state-changing steps are claimed before they are sent. */
  journal?: RunJournal;
  private readonly c: CompiledWorkflow;
  /** Answers of the pages later steps submit forms from (WorkflowStep.form); only a failed step or the output can drift further (stepDrift). */
  private readonly pages = new Map<string, ResponseView>();

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
    for (let attempt = 1; ; attempt++) {
      this.checkDeadline();
      const { req, origin } = this.request(step, i);
      const effect = this.journal !== undefined && step.stateChanging && !step.bootstrap;
      // An answer an earlier execution of this run recorded: the step is not sent again.
      const recorded = effect ? await this.claim(i) : undefined;
      if (!recorded) await this.d.breaker.enter(origin, this.signal);
      rec.attempts++;
      const t: Try = { step, i, attempt, origin, effect, recorded, view: undefined, transport: undefined, verdict: OK };
      await this.send(t, req);
      if (t.verdict.kind === 'transient') {
        await this.retryOrFail(t);
        continue;
      }
      this.d.breaker.success(origin);
      return this.conclude(t);
    }
  }

  /** The request of step i, with its origin (the URL is only parsed when its path could change in parsing: compiled-workflow plainPath). */
  private request(step: WorkflowStep, i: number): { req: HttpRequest; origin: string } {
    let req: HttpRequest;
    try {
      req = buildRequest(step, this.scope, this.wf.origins[0], this.wf.headers);
    } catch (err) {
      if (err instanceof MissingValueError) {
        this.steps[i]!.status = 'failed';
        if (err.source === 'extract') throw new StepFailure('site_changed', `${step.id} (${step.description}) needs ${err.variable}, which an earlier step no longer provided`, 'missing', i);
        throw new StepFailure('invalid_input', `${step.id} (${step.description}): ${err.message}`, 'missing', i);
      }
      throw err;
    }
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
    return { req, origin };
  }

  /** Sends the request (or takes the recorded answer) and judges the response: sets t.view, t.verdict, t.transport. */
  private async send(t: Try, req: HttpRequest): Promise<void> {
    const { step, i } = t;
    const rec = this.steps[i]!;
    const started = performance.now();
    // The step's timeout doubles as the run deadline's timer when the deadline is nearer.
    t.untilDeadline = this.deadline - Date.now();
    try {
      const timeoutMs = Math.max(1, Math.min(this.d.stepTimeoutMs, t.untilDeadline));
      const res = t.recorded ?? (await this.d.client.send(req, { jar: this.jar, origins: this.c.origins, maxHops: step.redirects, signal: this.signal.live ? this.signal : undefined, timeoutMs }));
      if (res.setCookies.size) this.dirty = true;
      t.view = new ResponseView(res);
      t.verdict = detect(step, t.view, this.c.detect[i]!, this.c.patterns);
      if (t.verdict.kind === 'broken' && t.verdict.landing !== undefined) t.verdict = await judgeLanding({ client: this.d.client, origins: this.c.origins, jar: this.jar, signal: this.signal.live ? this.signal : undefined, timeoutMs }, step, t.verdict, res.url);
    } catch (err) {
      if (!(err instanceof TransportError)) {
        rec.status = 'failed';
        // Refused before it left (an address the policy forbids): it did not act.
        if (t.effect && err instanceof AppError && err.code === 'target_forbidden') this.journal!.withdraw(step.id);
        throw err;
      }
      t.transport = err;
      t.verdict = { kind: 'transient', reason: err.message };
    }
    const ms = performance.now() - started;
    rec.ms += Math.round(ms);
    if (t.view) rec.httpStatus = t.view.res.status;
    this.d.metrics.stepDurationHttp.observe(ms / 1000);
  }

  /** A transient failure: waits out the backoff when the step may be sent again, else throws why it failed. */
  private async retryOrFail(t: Try): Promise<void> {
    const { step, i, attempt, view } = t;
    const rec = this.steps[i]!;
    let transport = t.transport;
    if (transport?.kind === 'timeout' && t.untilDeadline! <= this.d.stepTimeoutMs) this.signal.expire();
    if (transport?.kind === 'aborted' || this.signal.aborted) {
      rec.status = 'failed';
      throw this.deadlineError();
    }
    if (transport?.kind === 'timeout') transport = new TransportError('timeout', `${step.id} (${step.description}) took longer than ${this.d.stepTimeoutMs} ms`, true);
    if (transport?.kind === 'too_large') {
      rec.status = 'failed';
      throw new StepFailure('target_error', transport.message, 'error', i);
    }
    this.d.breaker.failure(t.origin);
    const status = view?.res.status;
    // A state-changing request is only sent again when it certainly was not acted upon.
    const resendable = !step.stateChanging || (transport ? !transport.delivered : status === 429 || status === 503);
    if (t.effect && !t.recorded) {
      // Journal: not acted → may be sent again; answered otherwise → its answer; a request
      // delivered but unanswered stays "sent" (its outcome is unknown).
      if (resendable) this.journal!.withdraw(step.id);
      else if (view) this.journal!.answered(step.id, `${step.id} (${step.description})`, view.res);
    }
    const { attempts, baseDelayMs, maxDelayMs } = this.d.retries;
    const retryAfter = (t.verdict as Extract<Verdict, { kind: 'transient' }>).retryAfterMs;
    const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    const delay = retryAfter !== undefined ? retryAfter : backoff / 2 + Math.random() * (backoff / 2);
    if (attempt < attempts && resendable && Date.now() + delay < this.deadline) {
      this.d.metrics.retries.inc({ reason: transport ? transport.kind : String(status) });
      return this.sleep(delay);
    }
    rec.status = 'failed';
    throw transientFailure(step, i, attempt, transport, status, retryAfter);
  }

  /** A response that came: what it means for the run (a failure is thrown), the output, the variables it supplies. */
  private conclude(t: Try): ResponseView {
    const { step, i, verdict } = t;
    const rec = this.steps[i]!;
    const v = t.view!;
    const what = `${step.id} (${step.description})`;
    if (verdict.kind !== 'ok') {
      // A CAPTCHA or a one-time-code form where the recording had none: no repair can help.
      const human = humanCheck(v.res.contentType, v.text, what);
      if (human) {
        rec.status = 'failed';
        throw new StepFailure(human.code, human.message, 'error', i);
      }
    }
    // Refused with a 4xx (gone, moved, invalid): the site did not act on it, like a broken session's answer.
    const refused = verdict.kind === 'error' && v.res.status >= 400 && v.res.status < 500;
    if (step.stateChanging && !step.bootstrap && !refused && (verdict.kind !== 'broken' || v.res.hopUrls.length > 0)) {
      this.sent.add(step.id);
      if (t.effect && !t.recorded) this.journal!.answered(step.id, what, v.res);
    } else if (t.effect && !t.recorded) this.journal!.withdraw(step.id);
    const failure = verdict.kind === 'broken' ? 'session_broken' : verdict.kind === 'drift' ? 'site_changed' : verdict.kind === 'error' ? 'target_error' : undefined;
    if (step.id === this.wf.output.step && verdict.kind !== 'broken') this.output = v.isJsonType && v.json.ok ? { status: v.res.status, contentType: v.res.contentType, body: v.json.value } : toOutput(v.res.status, v.res.contentType, v.res.body);
    const drift = (failure !== undefined || step.id === this.wf.output.step) && stepDrift(step, i, v, { failed: failure !== undefined, isOutput: step.id === this.wf.output.step, sentAny: this.sent.size > 0, page: (id) => this.pages.get(id), warn: (w) => (this.warnings ??= []).push(w) });
    if (failure || drift) {
      rec.status = 'failed';
      throw drift || new StepFailure(failure!, (verdict as { reason: string }).reason, verdict.kind as 'broken' | 'drift' | 'error', i);
    }
    if (this.c.formPages.has(step.id)) this.pages.set(step.id, v);
    this.extractFrom(step, v, i);
    if ((step.expect.shows || step.redirects > 0) && step.id === this.wf.output.step) {
      const miss = checkOutcome(step, this.input, { status: v.res.status, contentType: v.res.contentType, text: v.text, urls: [...v.res.locations, v.res.url], hops: v.res.hopUrls.length, json: v.isJsonType && v.json.ok ? v.json.value : undefined });
      if (miss) {
        rec.status = 'failed';
        throw new StepFailure('outcome_mismatch', miss.message, 'outcome', i, miss.details);
      }
    }
    rec.status = t.recorded ? 'reused' : 'succeeded';
    return v;
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
    throw answerLost(step, i, prior);
  }

  /** Extracts the variables a step supplies; a missing one is a broken session (login page) or a changed site. */
  extractFrom(step: WorkflowStep, view: ResponseView, i: number): void {
    for (const { name, ex } of this.c.extractors.get(step.id) ?? []) {
      const value = extract(ex, view, this.jar);
      if (value === undefined) {
        this.steps[i]!.status = 'failed';
        const where = `${ex.type}${'name' in ex ? ` ${ex.name}` : 'path' in ex ? ` ${ex.path}` : ''}`;
        if (/<input\b[^>]*\btype\s*=\s*["']?password\b/i.test(view.text) && !this.c.loginPageSteps.has(step.id)) throw new StepFailure('session_broken', `${step.id} (${step.description}) answered a login form without ${where}`, 'broken', i);
        if (step.bootstrap && this.wf.session) throw new StepFailure('session_broken', `${step.id} (${step.description}) no longer holds ${where} (for ${name})`, 'broken', i);
        throw new StepFailure('site_changed', `${step.id} (${step.description}) no longer holds ${where} (for ${name})`, 'drift', i);
      }
      this.scope.set(name, value);
    }
  }

  checkDeadline(): void {
    if (!this.signal.aborted && Date.now() >= this.deadline) this.signal.expire();
    if (this.signal.aborted) throw this.deadlineError();
  }
  deadlineError(): AppError {
    const reason = this.signal.reason;
    return reason instanceof AppError ? reason : new AppError('run_deadline_exceeded', 'The run deadline passed');
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

