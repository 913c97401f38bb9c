import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, isAppError, toPublicError, type Action, type HARFile, type Logger, type RunStep, type Workflow } from '../core/index.js';
import { typedActions } from './action-inputs.js';
import { AddressPolicy } from '../core/index.js';
import { BrowserRunner, type BrowserRunResult } from './browser-runner.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { compileWorkflow, type CompiledWorkflow } from './compiled-workflow.js';
import { HttpClient } from './http-client.js';
import { isDrift, StepFailure } from './step-failure.js';
import { refusalReason, replayMetrics, type ReplayMetrics } from './replay-metrics.js';
import { RunLog } from './run-log.js';
import { RunAbort } from './run-abort.js';
import { RunInputs, validateInputs } from './run-inputs.js';
import { BROWSER_FIELD, RunJournal } from './run-journal.js';
import { SessionRun, type SessionRunDeps } from './session-run.js';
import { SessionStore } from './session-store.js';
import { resolveReplayerOptions, type ReplayerOptions, type ResolvedReplayerOptions, type RunRequest, type RunResult } from './replayer-options.js';

export type { ReplayerOptions, RunRequest, RunResult };

/** One run as it goes through execute(). */
interface Execution {
  wf: Workflow;
  requested: 'auto' | 'http' | 'browser';
  session: string;
  deadline: number;
  ac: RunAbort;
  log: RunLog;
  journal?: RunJournal;
  result: RunResult;
  /** The HTTP session run while it is the one that speaks for the run (not after the last-resort browser run took over). */
  sessionRun?: SessionRun;
}

const HOST_CHECK_TTL_MS = 10_000;

/**
 * Runs learned workflows: over HTTP with a stored session (milliseconds), repairing the session
 * in a browser when it breaks, or wholly in a browser. run() never throws: every failure is a
 * failed RunResult with an error code from core/errors.
 */
export class Replayer {
  private readonly opened = new WeakMap<Workflow, Workflow>();
  private readonly o: ResolvedReplayerOptions;
  private readonly log: Logger;
  private readonly metrics: ReplayMetrics;
  private readonly policy: AddressPolicy;
  private readonly client: HttpClient;
  private readonly breaker: CircuitBreaker;
  private readonly sessions: SessionStore;
  private readonly browser: BrowserRunner;
  private readonly hostChecks = new Map<string, number>();
  /** The reason a run's RunAbort gives when its deadline passes (one function for every run). */
  private readonly deadlineExceeded = (): AppError => new AppError('run_deadline_exceeded', `The run took longer than ${this.o.runDeadlineMs} ms`);
  /** What every HTTP-mode run is given, built once: with the browser (mode auto) or without (mode http). */
  private readonly autoDeps: SessionRunDeps;
  private readonly httpDeps: SessionRunDeps;

  constructor(opts: ReplayerOptions) {
    this.o = resolveReplayerOptions(opts);
    this.log = opts.logger.child({ module: 'replayer' });
    this.metrics = replayMetrics(opts.registry);
    this.policy = new AddressPolicy({ allowLoopback: this.o.allowLoopback, allowPrivate: this.o.allowPrivate });
    this.client = new HttpClient({ policy: this.policy, maxResponseBytes: this.o.maxResponseBytes });
    this.breaker = new CircuitBreaker({ trialTimeoutMs: 2 * this.o.stepTimeoutMs, ...opts.breaker, clock: opts.clock, onState: (origin, state) => this.metrics.setCircuit(origin, state) });
    this.sessions = new SessionStore({ store: opts.store, logger: this.log, secretBox: opts.secretBox });
    this.browser = new BrowserRunner({ pool: opts.pool, logger: this.log, metrics: this.metrics, actionTimeoutMs: this.o.stepTimeoutMs, policy: this.policy });
    this.httpDeps = { client: this.client, breaker: this.breaker, metrics: this.metrics, retries: this.o.retries, stepTimeoutMs: this.o.stepTimeoutMs, sessions: this.sessions, browser: undefined };
    this.autoDeps = { ...this.httpDeps, browser: this.browser };
  }

  validateInputs(workflow: Workflow, inputs: Record<string, unknown> | undefined): Record<string, unknown> {
    return validateInputs(workflow, inputs);
  }

  run(workflow: Workflow, req: RunRequest = {}): Promise<RunResult> {
    return this.execute(workflow, req, new RunLog(this.log, req.runId));
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), this.sessions.close()]);
  }

  /** The workflow with its sealed JS-cookie values opened (memoised per workflow object). */
  private unsealed(wf: Workflow): Workflow {
    const js = wf?.session?.jsCookies;
    if (!js?.some((c) => c.value === undefined && c.valueSealed)) return wf;
    let open = this.opened.get(wf);
    if (!open) {
      const jsCookies = js.map((c) => (c.value === undefined && c.valueSealed ? { ...c, value: this.o.secretBox.open(c.valueSealed) } : c));
      open = { ...wf, session: { ...wf.session!, jsCookies } };
      this.opened.set(wf, open);
    }
    return open;
  }

  private async execute(sealed: Workflow, req: RunRequest, log: RunLog): Promise<RunResult> {
    const wf = this.unsealed(sealed);
    const started = performance.now();
    const requested = req.mode ?? 'auto';
    const deadline = Date.now() + this.o.runDeadlineMs;
    const ac = new RunAbort(deadline, this.deadlineExceeded);
    const onCancel = () => ac.abort(new AppError('run_deadline_exceeded', 'The run was cancelled'));
    if (req.signal) {
      ac.wireExternal();
      if (req.signal.aborted) onCancel();
      req.signal.addEventListener('abort', onCancel, { once: true });
    }
    const result: RunResult = { status: 'running', mode: requested === 'browser' ? 'browser' : 'http', steps: [] };
    const journal = req.runId && req.journal !== false ? new RunJournal(this.o.store, req.runId, req.attempt ?? 1, this.o.secretBox) : undefined;
    const run: Execution = { wf, requested, session: req.session ?? 'default', deadline, ac, log, journal, result };
    try {
      await this.perform(run, req.inputs);
      result.status = 'succeeded';
    } catch (err) {
      this.failed(run, err);
    } finally {
      ac.close();
      req.signal?.removeEventListener('abort', onCancel);
      // Answers journalled without waiting are written before the run is reported (and its journal deleted).
      await journal?.flush().catch((err: Error) => log.warn('run journal not fully written', { error: err.message }));
    }
    result.durationMs = Math.round(performance.now() - started);
    this.metrics.runsBy(result.mode, result.status).inc();
    // a browser run's refusals are counted per connection by its egress rules (BrowserRunner)
    if (result.mode === 'http' && result.error?.code === 'target_forbidden') this.metrics.egressRefused.inc({ mode: 'http', reason: refusalReason(result.error.message) });
    if (wf?.id) this.metrics.workflowRunsBy(wf.id, result.mode, String(result.mode === 'browser' || result.fallback?.browser === true)).inc();
    this.metrics.runDurationBy(result.mode).observe(result.durationMs / 1000);
    return result;
  }

  private async perform(run: Execution, given: Record<string, unknown> | undefined): Promise<void> {
    const { wf, result } = run;
    if (!wf?.steps?.length) throw new AppError('invalid_request', 'The workflow has no steps');
    const specs = compileWorkflow(wf).inputSpecs;
    const inputs = new RunInputs(wf, validateInputs(wf, given, specs), this.o.secretBox, specs);
    // Checked hosts are remembered a while: then there is nothing to wait for.
    const targets = this.checkTargets(wf);
    if (targets) await targets;
    if (run.requested === 'browser') {
      const r = await this.inBrowser(run, inputs);
      Object.assign(result, { output: r.output, steps: r.steps });
    } else {
      await this.overHttp(run, inputs);
    }
  }

  /** Modes auto and http: the session run; in mode auto, the whole workflow in a browser as the last resort. */
  private async overHttp(run: Execution, inputs: RunInputs): Promise<void> {
    const { wf, result } = run;
    const sessionRun = new SessionRun(run.requested === 'auto' ? this.autoDeps : this.httpDeps, wf, inputs, run.session, run.deadline, run.ac, run.log);
    run.sessionRun = sessionRun;
    sessionRun.runner.journal = run.journal;
    try {
      await sessionRun.execute();
      Object.assign(result, { mode: sessionRun.mode, steps: sessionRun.runner.steps, output: sessionRun.runner.output });
      if (sessionRun.runner.warnings) {
        result.warnings = sessionRun.runner.warnings;
        run.log.warn('the site answered differently from the recording', { workflowId: wf.id, warnings: result.warnings });
      }
      if (sessionRun.fallback) result.fallback = publicFallback(sessionRun.fallback);
    } catch (err) {
      // Last resort: the whole workflow in a browser, when the session broke or the site changed
      // (drift), unless the site already accepted a state-changing step.
      if (run.requested !== 'auto' || !isAppError(err) || !(err.category === 'session' || isDrift(err)) || sessionRun.sentStateChanging) throw err;
      if (!wf.actions?.length) {
        // Learned from a HAR file: nothing a browser could do again, so no fallback and no healing.
        if (isDrift(err)) err.message += '; this workflow has no recorded actions (learned from a HAR file), so it cannot fall back to a browser or heal: record it to get both';
        throw err;
      }
      await this.lastResort(run, inputs, sessionRun, err);
    }
  }

  private async lastResort(run: Execution, inputs: RunInputs, sessionRun: SessionRun, err: AppError): Promise<void> {
    const { result } = run;
    const fbStarted = performance.now();
    run.log.info('falling back to a browser run', { workflowId: run.wf.id, reason: err.message });
    const drift = isDrift(err);
    this.metrics.fallbacks.inc({ reason: drift ? 'drift' : 'browser_run' });
    if (drift) {
      const step = err instanceof StepFailure ? (run.wf.steps[err.stepIndex]?.id ?? '') : '';
      this.metrics.drift.inc({ workflow: run.wf.id, step });
      run.log.warn('the site changed: the workflow falls back to the browser', { workflowId: run.wf.id, step, reason: err.message });
    }
    // Said before the browser runs: a browser run that fails too still shows it was tried, and why.
    result.mode = 'browser';
    result.steps = [...sessionRun.runner.steps];
    const first = sessionRun.firstCause && sessionRun.firstCause !== err.message && !err.message.startsWith(sessionRun.firstCause) ? `${sessionRun.firstCause}; then ` : '';
    const fallback = (result.fallback = { reason: `${first}${err.message}: ran the whole workflow in the browser`, ms: 0, browser: true });
    run.sessionRun = undefined;
    // A drift the browser gets through leaves its traffic for healing (onDrift), read from a HAR file
    // written on release, in a folder only this user may read (it holds the session in clear) and
    // deleted once read.
    const harDir = drift && this.o.onDrift ? await mkdtemp(join(tmpdir(), 'replayfarm-drift-')) : undefined;
    try {
      const r = await this.inBrowser(run, inputs, harDir && join(harDir, 'run.har'));
      Object.assign(result, { output: r.output, steps: [...result.steps, ...r.steps] });
      if (harDir) this.handOver(run, err, harDir, typedActions(run.wf, inputs));
    } catch (browserErr) {
      if (harDir) void rm(harDir, { recursive: true, force: true });
      // The site changed and the recorded actions no longer work there either: the drift is the
      // cause, said with what the browser met (any other failure of the browser run stands as it is).
      if (drift && isAppError(browserErr) && (browserErr.code === 'action_failed' || browserErr.code === 'browser_error')) {
        throw new AppError(err.code, `${err.message}; the browser run could not get through either: ${browserErr.message}`, { cause: browserErr });
      }
      throw browserErr;
    } finally {
      fallback.ms = Math.round(performance.now() - fbStarted);
    }
  }

  /** Gives the browser run's traffic to onDrift (after the run answered: healing never delays it), then deletes its folder. */
  private handOver(run: Execution, err: AppError, harDir: string, actions: Action[]): void {
    const step = err instanceof StepFailure ? (run.wf.steps[err.stepIndex]?.id ?? '') : '';
    void readFile(join(harDir, 'run.har'), 'utf8')
      .then((text) => this.o.onDrift!({ workflow: run.wf, har: JSON.parse(text) as HARFile, actions, step, reason: err.message, runId: run.log.runId }))
      .catch((e: Error) => run.log.warn('the drifted run could not be handed over for healing', { error: e.message }))
      .finally(() => rm(harDir, { recursive: true, force: true }));
  }

  /** The failed run says what happened: the error, and what the session run got to (mode, steps, fallback, the site's answer). */
  private failed(run: Execution, err: unknown): void {
    const { result, sessionRun, log, wf, ac } = run;
    result.status = 'failed';
    const error = isAppError(err) ? err : ac.aborted && isAppError(ac.reason) ? ac.reason : err;
    if (!isAppError(error)) log.error('run failed unexpectedly', { workflowId: wf?.id, error: (err as Error)?.stack ?? String(err) });
    const pub = toPublicError(error);
    result.error = { code: pub.code, message: pub.message, ...(pub.details?.length ? { details: pub.details } : {}) };
    if (sessionRun) {
      if (result.mode !== 'browser') result.mode = sessionRun.mode;
      if (!result.steps.length) result.steps = sessionRun.runner.steps;
      if (sessionRun.fallback) result.fallback = publicFallback(sessionRun.fallback);
      // The site's own answer helps whoever reads a target_error.
      if (err instanceof StepFailure && err.code === 'target_error' && sessionRun.runner.output) result.output = sessionRun.runner.output;
    }
    // A step failure was logged where it happened; any other failure gets its line here.
    if (!(err instanceof StepFailure) && isAppError(err)) {
      log.info('run failed', { workflowId: wf?.id, code: err.code, message: err.message });
    }
  }

  /**
   * A browser run of a workflow that changes state is journalled as a whole (the browser's own
   * requests are not claimed one by one): an execution finding one begun by an earlier execution
   * does not run it again but reports outcome_unknown.
   */
  private async inBrowser(run: Execution, inputs: RunInputs, recordHar?: string): Promise<BrowserRunResult> {
    const { wf, journal } = run;
    const play = () => run.log.inContext(() => this.browser.run(wf, inputs, run.deadline, run.ac.signal, { recordHar }));
    const effects = wf.steps.filter((s) => s.stateChanging && !s.bootstrap);
    if (!journal || !effects.length) return play();
    const what = `the browser run (${effects.map((s) => `${s.id} ${s.description}`).join(', ')})`;
    const prior = await journal.claim(BROWSER_FIELD, what);
    if (prior) {
      throw new AppError('outcome_unknown', `An earlier attempt of this run (attempt ${prior.attempt}, whose worker stopped) ran the workflow in a browser and ${prior.state === 'answered' ? 'finished it, but its result was lost' : 'did not finish'}: it may have acted, so it is not run again`, { details: [
        { path: 'browser', message: what, state: prior.state },
      ] });
    }
    const r = await play();
    journal.finished(BROWSER_FIELD, what);
    return r;
  }

  /** Every origin must be http(s) and resolve only to allowed addresses (checked again at connect time); undefined when nothing needs resolving. */
  private checkTargets(wf: Workflow): Promise<void> | undefined {
    if (!wf.origins?.length) throw new AppError('target_forbidden', 'The workflow names no origin it may contact');
    const now = Date.now();
    const targets = compileWorkflow(wf).targets;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (t.refused !== undefined) throw new AppError('target_forbidden', t.refused);
      if ((this.hostChecks.get(t.hostname!) ?? 0) <= now) return this.resolveTargets(targets.slice(i), now);
    }
    return undefined;
  }

  private async resolveTargets(targets: CompiledWorkflow['targets'], now: number): Promise<void> {
    for (const t of targets) {
      if (t.refused !== undefined) throw new AppError('target_forbidden', t.refused);
      const host = t.hostname!;
      if ((this.hostChecks.get(host) ?? 0) > now) continue;
      await this.policy.checkHost(host);
      if (this.hostChecks.size > 1000) this.hostChecks.clear();
      this.hostChecks.set(host, now + HOST_CHECK_TTL_MS);
    }
  }
}

export type { RunStep };

/** A session run's fallback as the run reports it: why, how long, and whether a browser was used. */
function publicFallback(f: NonNullable<SessionRun['fallback']>): NonNullable<RunResult['fallback']> {
  return { reason: f.reason, ms: f.ms, ...(f.browser ? { browser: true } : {}) };
}
