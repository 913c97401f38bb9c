import { hostname } from 'node:os';
import type Bull from 'bull';
import {
  AppError,
  counter,
  histogram,
  toPublicError,
  withContext,
  DURATION_BUCKETS,
  type Logger,
  type Registry,
  type Run,
} from '../../core/index.js';
import { BullConnection } from './bull-connection.js';
import type { RunJobData, RunQueue } from './run-queue.js';
import { isFinished } from './run-waiters.js';
import { deliverWebhook, type WebhookDelivery } from './webhook.js';
import { runScript, START_RUN } from './scripts.js';
import { RunJournal, unknownOutcome } from '../run-journal.js';

/** What execute() is given besides the run. */
export interface RunJobContext {
  /** 1 on the first execution; more after a crash retry or a stalled-job recovery. */
  attempt: number;
  /** All inputs, secret ones included (the Run record holds only the public ones). */
  inputs: Record<string, unknown>;
  /** Aborted when close() gives up waiting; the result is then discarded and the run left to another worker. */
  signal: AbortSignal;
  /** Version of the workflow the inputs were checked against (EnqueueRequest.workflowVersion), when known. */
  workflowVersion?: string;
}

export interface RunWorkerOptions {
  /** Where runs come from and are stored; it need not be started in a worker-only process. Required. */
  queue: RunQueue;
  /** Executes one run; returns status/mode/output/steps/fallback/error/durationMs. Throwing = a crash (retried). Required. */
  execute: (run: Run, job: RunJobContext) => Promise<Partial<Run>>;
  logger: Logger;
  registry: Registry;
  /** Runs executed at once by this worker. Default 8. */
  concurrency?: number;
  /** Signs webhook calls (X-Replayfarm-Signature). Unset: they go out unsigned. */
  webhookSecret?: string;
  /** Recorded in run.worker. Default `<hostname>:<pid>`. */
  workerId?: string;
  /** close() waits this long for in-flight runs, then drops them (another worker recovers them). Default 10000 ms. */
  shutdownTimeoutMs?: number;
  /** A job's lock lives this long unless renewed (renewed every half). Default 10000 ms. */
  lockDurationMs?: number;
  /** How often jobs of dead workers are looked for. Default 5000 ms. */
  stalledIntervalMs?: number;
  /** Times a run may be recovered from a dead worker before it is failed. Default 1. */
  maxStalledCount?: number;
  /** Per-attempt timeout of a webhook call. Default 5000 ms. */
  webhookTimeoutMs?: number;
  /**
   * Checked before each webhook call; throwing refuses it (recorded in run.webhook.error). Wire the
   * replayer's address policy here so that webhooks cannot reach private or metadata addresses.
   */
  webhookGuard?: (url: URL) => Promise<void> | void;
}

type Resolved = Required<Omit<RunWorkerOptions, 'webhookSecret' | 'webhookGuard'>> & Pick<RunWorkerOptions, 'webhookSecret' | 'webhookGuard'>;

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
  private readonly opts: Resolved;
  private readonly log: Logger;
  private bull?: BullConnection;
  private readonly pending = new Set<Promise<unknown>>();
  /** Runs executing now. */
  private inFlight = 0;
  /** Aborted when close() gives up waiting: every run in flight then is abandoned (one signal for all). */
  private readonly abandon = new AbortController();
  private closing?: Promise<void>;
  private warnedUnsigned = false;
  private readonly completed;
  private readonly waitTime;
  private readonly webhooks;

  constructor(opts: RunWorkerOptions) {
    if (!opts?.queue || typeof opts.execute !== 'function' || !opts.logger || !opts.registry) {
      throw new TypeError('RunWorker: queue, execute, logger and registry are required');
    }
    this.opts = {
      concurrency: 8,
      workerId: `${hostname()}:${process.pid}`,
      shutdownTimeoutMs: 10_000,
      lockDurationMs: 10_000,
      stalledIntervalMs: 5_000,
      maxStalledCount: 1,
      webhookTimeoutMs: 5_000,
      ...(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as RunWorkerOptions),
    } as Resolved;
    for (const k of ['concurrency', 'lockDurationMs', 'stalledIntervalMs', 'webhookTimeoutMs'] as const) {
      if (!Number.isInteger(this.opts[k]) || this.opts[k] < 1) throw new TypeError(`RunWorker: ${k} must be a whole number >= 1`);
    }
    for (const k of ['shutdownTimeoutMs', 'maxStalledCount'] as const) {
      if (!Number.isInteger(this.opts[k]) || this.opts[k] < 0) throw new TypeError(`RunWorker: ${k} must be a whole number >= 0`);
    }
    this.log = opts.logger.child({ module: 'run-worker', worker: this.opts.workerId });
    const registry = opts.registry;
    this.completed = counter(registry, {
      name: 'replayfarm_queue_runs_completed_total',
      help: 'Runs finished by queue workers, by final status',
      labelNames: ['status'] as const,
    });
    this.waitTime = histogram(registry, {
      name: 'replayfarm_queue_wait_seconds',
      help: 'Time a run waited in the queue before a worker started it (first attempt)',
      buckets: DURATION_BUCKETS,
    });
    this.webhooks = counter(registry, {
      name: 'replayfarm_webhook_deliveries_total',
      help: 'Webhook deliveries by outcome',
      labelNames: ['outcome'] as const,
    });
  }

  async start(): Promise<void> {
    if (this.bull) return;
    const q = this.opts.queue.opts;
    this.bull = new BullConnection({
      redisUrl: q.redisUrl,
      prefix: q.prefix,
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
    const { queue } = this.opts;
    const store = queue.store;
    const { runId, workflowId } = job.data;
    return withContext({ runId }, async () => {
      const startMs = Date.now();
      const startedAt = new Date(startMs).toISOString();
      const queued = job.data.run;
      let found: Run | undefined;
      let running: Run | undefined;
      if (queued?.id === runId) {
        // The common case in one round trip: the record is still the queued one the job carries.
        const attempt = (queued.attempts ?? 0) + 1;
        const next: Run = { ...queued, status: 'running', startedAt, worker: this.opts.workerId, attempts: attempt };
        const res = await runScript(store.redis, START_RUN, [store.key('run', runId)], [queued.attempts ?? 0, JSON.stringify(next)]).catch((err: Error) => {
          throw new AppError('redis_unavailable', 'Redis is not reachable', undefined, 5, { cause: err });
        });
        if (Number(res) === 1) [found, running] = [queued, next];
        else if (typeof res === 'string') found = JSON.parse(res) as Run;
      } else {
        found = await store.get<Run>('run', runId);
      }
      if (!found) {
        // Trimmed from the history or deleted with its workflow while queued.
        this.log.warn('run record gone; job dropped', { runId });
        await queue.releaseSlot(workflowId, runId);
        return { status: 'gone' };
      }
      if (!running && isFinished(found)) {
        // A redelivery after this run was stored: finish what the dead worker may have left.
        await this.afterFinish(found);
        return { status: found.status };
      }
      if (!running) {
        // A retry or a recovery from a dead worker: the record has moved on since the job was queued.
        running = { ...found, status: 'running', startedAt, worker: this.opts.workerId, attempts: (found.attempts ?? 0) + 1 };
        await store.update('run', runId, running);
      }
      const attempt = running.attempts ?? 1;
      if (attempt === 1) this.waitTime.observe(Math.max(0, startMs - Date.parse(found.createdAt)) / 1000);
      this.log.debug('run started', { attempt, workflowId });

      let result: Partial<Run>;
      const abort = this.abandon;
      this.inFlight++;
      try {
        result = await this.opts.execute(running, {
          attempt,
          inputs: { ...(found.inputs ?? {}), ...queue.openSecrets(job.data) },
          signal: abort.signal,
          workflowVersion: job.data.workflowVersion,
        });
      } catch (err) {
        if (abort.signal.aborted) throw err;
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        this.log.warn('run crashed', { attempt, final, error: (err as Error).message });
        if (final) {
          await this.finish(running, { status: 'failed', error: await this.afterEffects(runId, 'The run crashed', err) }, startMs);
        } else {
          await queue.saveIfCurrent({ ...running, status: 'queued' });
        }
        throw err;
      } finally {
        this.inFlight--;
      }
      if (abort.signal.aborted) {
        // This worker gave the run up at shutdown: the stalled check hands it to another worker.
        this.log.warn('result of an abandoned run discarded', { attempt });
        return { status: 'abandoned' };
      }
      const finished = await this.finish(running, result, startMs);
      return { status: finished.status };
    });
  }

  /** Stores the finished run, releases its slot and publishes completion (one step), then calls the webhook. */
  private async finish(running: Run, result: Partial<Run>, startMs: number): Promise<Run> {
    const { queue } = this.opts;
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
    if (!(await queue.saveIfCurrent(finished))) {
      // Another worker took this run over (this one lost its lock): its result stands.
      this.log.warn('result discarded: run taken over by another worker', { runId: finished.id, attempt: finished.attempts });
      return (await queue.get(finished.id)) ?? finished;
    }
    // counted as soon as it is stored: whoever saw the run finish may read the counter next
    this.completed.inc({ status });
    await this.dropJournal(finished.id);
    this.log.info('run finished', { status, mode: finished.mode, durationMs: finished.durationMs, attempt: finished.attempts });
    await this.callWebhook(finished);
    return finished;
  }

  private async afterFinish(run: Run): Promise<void> {
    await this.opts.queue.markDone(run);
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
    this.webhooks.inc({ outcome: outcome.status !== undefined && outcome.status < 300 ? 'delivered' : 'failed' });
    // Re-read: only the webhook field is ours to change now.
    const latest = await this.opts.queue.store.get<Run>('run', run.id);
    if (latest) await this.opts.queue.store.update('run', run.id, { ...latest, webhook: outcome });
  }

  /** The error of a run that stops for good: outcome_unknown (with the journal as evidence) when it had sent a state-changing step. */
  private async afterEffects(runId: string, why: string, err: unknown): Promise<ReturnType<typeof toPublicError>> {
    try {
      const known = unknownOutcome(await RunJournal.read(this.opts.queue.store, runId), why);
      if (known) return toPublicError(known);
    } catch (e) {
      this.log.warn('run journal not readable', { runId, error: (e as Error).message });
      return { code: 'outcome_unknown', message: `${why}; its step journal could not be read, so whether it acted is unknown` };
    }
    return toPublicError(err);
  }

  private async dropJournal(runId: string): Promise<void> {
    // Left behind, it expires by itself: nothing reads a finished run's journal.
    await RunJournal.delete(this.opts.queue.store, [runId]).catch((err: Error) => this.log.warn('run journal not deleted', { runId, error: err.message }));
  }

  /** A job bull gave up on (crash retries spent, or stalled too often) must not leave its run 'running'. */
  private async onFailed(job: Bull.Job<RunJobData>, err: Error): Promise<void> {
    try {
      if (!(await job.isFailed())) return;
      const run = await this.opts.queue.store.get<Run>('run', job.data.runId);
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
