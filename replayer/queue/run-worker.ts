import { setMaxListeners } from 'node:events';
import type Bull from 'bull';
import {
  toPublicError,
  withContext,
  type Logger,
  type Run,
} from '../../core/index.js';
import { BullConnection } from './bull-connection.js';
import { workerMetrics } from './queue-gauges.js';
import type { RunJobData, RunLedger } from './run-ledger.js';
import { isFinished } from './run-waiters.js';
import { deliverWebhook, type WebhookDelivery } from './webhook.js';
import { RunJournal, unknownOutcome } from '../run-journal.js';
import { resolveWorkerOptions, type ResolvedWorkerOptions, type RunJobContext, type RunWorkerOptions } from './run-worker-options.js';

export type { RunJobContext, RunWorkerOptions };

/**
 * Takes run jobs from the bull queue and executes them.
 *
 * Delivery of RUNS is at least once; their EFFECTS happen at most once. A job is locked by the
 * worker running it and the lock is renewed while it runs; when a worker dies (SIGKILL, OOM, lost
 * host) the lock expires and bull's stalled check, run by every other worker, puts the job back
 * in the queue (up to maxStalledCount times), so the run is executed again: run.attempts counts
 * the executions. The replayer keeps a step journal per run (replayer/run-journal.ts): an
 * execution never sends a state-changing step an earlier one sent; it reuses the recorded answer,
 * or reports outcome_unknown when the answer was lost. A run that stops for good after it sent
 * one (its retries spent) is reported outcome_unknown too, never plain failed. The journal is
 * deleted once the finished run is stored. A run already stored as finished is not executed
 * again (only its webhook is completed).
 *
 * A run that ends with status 'failed' is a completed job; only an exception (a crash of the
 * executor) is a bull failure, retried `attempts` times with exponential backoff.
 */
export class RunWorker {
  private readonly opts: ResolvedWorkerOptions;
  /** The run records: all a worker needs of the queue. */
  private readonly ledger: RunLedger;
  private readonly log: Logger;
  private bull?: BullConnection;
  private readonly pending = new Set<Promise<unknown>>();
  /** Runs executing now. */
  private inFlight = 0;
  /** Aborted when close() gives up waiting: every run in flight then is abandoned (one signal for all). */
  private readonly abandon = new AbortController();
  private closing?: Promise<void>;
  private warnedUnsigned = false;
  private readonly metrics;

  constructor(opts: RunWorkerOptions) {
    this.opts = resolveWorkerOptions(opts);
    this.ledger = opts.queue.ledger;
    this.log = opts.logger.child({ module: 'run-worker', worker: this.opts.workerId });
    this.metrics = workerMetrics(opts.registry);
    // every run in flight listens on this one signal: more than 10 at once is normal, not a leak
    setMaxListeners(0, this.abandon.signal);
  }


  async start(): Promise<void> {
    if (this.bull) return;
    this.bull = new BullConnection({
      redisUrl: this.ledger.redisUrl,
      prefix: this.ledger.prefix,
      settings: {
        lockDuration: this.opts.lockDurationMs,
        stalledInterval: this.opts.stalledIntervalMs,
        maxStalledCount: this.opts.maxStalledCount,
      },
    });
    const queue = this.bull.queue;
    queue.on('error', (err) => this.log.warn('queue error', { error: err.message }));
    queue.on('stalled', (job: Bull.Job<RunJobData>) => this.log.warn('run recovered from a dead worker', { runId: job.data.runId }));
    queue.on('failed', (job: Bull.Job<RunJobData>, err: Error) => this.track(this.onFailed(job, err)));
    await queue.isReady();
    // process() resolves only when the queue closes: do not await it.
    queue.process(this.opts.concurrency, (job: Bull.Job<RunJobData>) => this.track(this.handle(job))).catch((err: Error) => {
      if (!this.closing) this.log.error('worker stopped', { error: err.message });
    });
  }

  /** Stops taking jobs and lets in-flight runs finish, for at most shutdownTimeoutMs. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const bull = this.bull;
    if (!bull) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.opts.shutdownTimeoutMs)));
    const drained = bull.close(false).then(() => Promise.allSettled([...this.pending]));
    const outcome = await Promise.race([drained, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log.warn('shutdown timeout: leaving in-flight runs to another worker', { inFlight: this.inFlight });
      this.abandon.abort(new Error('worker shutting down'));
      bull.disconnect();
    }
    this.log.info('worker closed');
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const drop = () => this.pending.delete(p);
    p.then(drop, drop);
    return p;
  }

  private async handle(job: Bull.Job<RunJobData>): Promise<{ status: string }> {
    const { runId, workflowId } = job.data;
    return withContext({ runId }, async () => {
      const startMs = Date.now();
      const { found, running } = await this.begin(job, startMs);
      if (!found) {
        // Trimmed from the history or deleted with its workflow while queued.
        this.log.warn('run record gone; job dropped', { runId });
        await this.ledger.releaseSlot(workflowId, runId);
        return { status: 'gone' };
      }
      if (!running) {
        // A redelivery after this run was stored: finish what the dead worker may have left.
        await this.afterFinish(found);
        return { status: found.status };
      }
      const attempt = running.attempts ?? 1;
      if (attempt === 1) this.metrics.waitTime.observe(Math.max(0, startMs - Date.parse(found.createdAt)) / 1000);
      this.log.debug('run started', { attempt, workflowId });
      const result = await this.executeRun(job, found, running, startMs);
      if (!result) return { status: 'abandoned' };
      const finished = await this.finish(running, result, startMs);
      return { status: finished.status };
    });
  }

  /**
   * The run as stored (`found`, undefined when gone) and as this execution runs it (`running`,
   * stored; undefined when the run had finished already).
   */
  private async begin(job: Bull.Job<RunJobData>, startMs: number): Promise<{ found?: Run; running?: Run }> {
    const { runId } = job.data;
    const startedAt = new Date(startMs).toISOString();
    const queued = job.data.run;
    let found: Run | undefined;
    if (queued?.id === runId) {
      // The common case in one round trip: the record is still the queued one the job carries.
      const next: Run = { ...queued, status: 'running', startedAt, worker: this.opts.workerId, attempts: (queued.attempts ?? 0) + 1 };
      const res = await this.ledger.start(runId, queued.attempts ?? 0, next);
      if (res.result === 'started') return { found: queued, running: next };
      found = res.result === 'moved' ? res.run : undefined;
    } else {
      found = await this.ledger.get(runId);
    }
    if (!found || isFinished(found)) return { found };
    // A retry or a recovery from a dead worker: the record has moved on since the job was queued.
    const running: Run = { ...found, status: 'running', startedAt, worker: this.opts.workerId, attempts: (found.attempts ?? 0) + 1 };
    await this.ledger.update(running);
    return { found, running };
  }

  /** The executor's result; undefined when this worker gave the run up at shutdown. A crash is thrown (bull retries it). */
  private async executeRun(job: Bull.Job<RunJobData>, found: Run, running: Run, startMs: number): Promise<Partial<Run> | undefined> {
    const attempt = running.attempts ?? 1;
    const abort = this.abandon;
    let result: Partial<Run>;
    this.inFlight++;
    try {
      result = await this.opts.execute(running, {
        attempt,
        inputs: { ...(found.inputs ?? {}), ...this.ledger.openSecrets(job.data) },
        signal: abort.signal,
        workflowVersion: job.data.workflowVersion,
      });
    } catch (err) {
      if (abort.signal.aborted) throw err;
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.log.warn('run crashed', { attempt, final, error: (err as Error).message });
      if (final) {
        await this.finish(running, { status: 'failed', error: await this.afterEffects(running.id, 'The run crashed', err) }, startMs);
      } else {
        await this.ledger.saveIfCurrent({ ...running, status: 'queued' });
      }
      throw err;
    } finally {
      this.inFlight--;
    }
    if (abort.signal.aborted) {
      // This worker gave the run up at shutdown: the stalled check hands it to another worker.
      this.log.warn('result of an abandoned run discarded', { attempt });
      return undefined;
    }
    return result;
  }

  /** Stores the finished run, releases its slot and publishes completion (one step), then calls the webhook. */
  private async finish(running: Run, result: Partial<Run>, startMs: number): Promise<Run> {
    const now = Date.now();
    const status = result.status === 'succeeded' || result.status === 'failed' ? result.status : result.error ? 'failed' : 'succeeded';
    const finished: Run = {
      ...running,
      ...result,
      id: running.id,
      workflowId: running.workflowId,
      createdAt: running.createdAt,
      startedAt: running.startedAt,
      worker: running.worker,
      attempts: running.attempts,
      webhook: running.webhook,
      status,
      finishedAt: new Date(now).toISOString(),
      durationMs: result.durationMs ?? now - startMs,
    };
    if (!(await this.ledger.saveIfCurrent(finished))) {
      // Another worker took this run over (this one lost its lock): its result stands.
      this.log.warn('result discarded: run taken over by another worker', { runId: finished.id, attempt: finished.attempts });
      return (await this.ledger.get(finished.id)) ?? finished;
    }
    // counted as soon as it is stored: whoever saw the run finish may read the counter next
    // (its step journal went in the same step)
    this.metrics.completed.inc({ status });
    this.log.info('run finished', { status, mode: finished.mode, durationMs: finished.durationMs, attempt: finished.attempts });
    await this.callWebhook(finished);
    return finished;
  }

  private async afterFinish(run: Run): Promise<void> {
    await this.ledger.markDone(run);
    await this.dropJournal(run.id);
    await this.callWebhook(run);
  }

  private async callWebhook(run: Run): Promise<void> {
    if (!run.webhook?.url || run.webhook.status !== undefined || run.webhook.error !== undefined) return;
    const { webhook: _, ...payload } = run;
    const url = run.webhook.url;
    if (!this.opts.webhookSecret && !this.warnedUnsigned) {
      this.warnedUnsigned = true;
      this.log.warn('webhooks go out unsigned: no webhook secret configured');
    }
    let outcome: WebhookDelivery;
    try {
      await this.opts.webhookGuard?.(new URL(url));
      outcome = await deliverWebhook({ url, body: JSON.stringify(payload), secret: this.opts.webhookSecret, logger: this.log, timeoutMs: this.opts.webhookTimeoutMs });
    } catch (err) {
      outcome = { url, error: `refused: ${(err as Error).message}` };
    }
    this.metrics.webhooks.inc({ outcome: outcome.status !== undefined && outcome.status < 300 ? 'delivered' : 'failed' });
    // Re-read: only the webhook field is ours to change now.
    const latest = await this.ledger.get(run.id);
    if (latest) await this.ledger.update({ ...latest, webhook: outcome });
  }

  /** The error of a run that stops for good: outcome_unknown (with the journal as evidence) when it had sent a state-changing step. */
  private async afterEffects(runId: string, why: string, err: unknown): Promise<ReturnType<typeof toPublicError>> {
    try {
      const known = unknownOutcome(await RunJournal.read(this.ledger.store, runId), why);
      if (known) return toPublicError(known);
    } catch (e) {
      this.log.warn('run journal not readable', { runId, error: (e as Error).message });
      return { code: 'outcome_unknown', message: `${why}; its step journal could not be read, so whether it acted is unknown` };
    }
    return toPublicError(err);
  }

  private async dropJournal(runId: string): Promise<void> {
    // Left behind, it expires by itself: nothing reads a finished run's journal.
    await RunJournal.delete(this.ledger.store, [runId]).catch((err: Error) => this.log.warn('run journal not deleted', { runId, error: err.message }));
  }

  /** A job bull gave up on (crash retries spent, or stalled too often) must not leave its run 'running'. */
  private async onFailed(job: Bull.Job<RunJobData>, err: Error): Promise<void> {
    try {
      if (!(await job.isFailed())) return;
      const run = await this.ledger.get(job.data.runId);
      if (!run || isFinished(run)) return;
      const started = run.startedAt ? Date.parse(run.startedAt) : Date.now();
      const error = await this.afterEffects(run.id, `The run was given up (its worker stopped ${run.attempts ?? 1} time${(run.attempts ?? 1) > 1 ? 's' : ''})`, new Error(err.message));
      await this.finish(run, { status: 'failed', error: error.code === 'internal' ? { code: 'internal', message: 'The run could not be completed' } : error }, started);
      this.log.warn('run given up', { runId: run.id, reason: err.message });
    } catch (e) {
      this.log.warn('could not mark a given-up run', { runId: job.data.runId, error: (e as Error).message });
    }
  }
}
