import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type Bull from 'bull';
import { AppError, globEscape, newId, type Logger, type Registry, type RedisStore, type SecretBox } from '../../core/index.js';
import type { Run, RunMode } from '../../core/index.js';
import { BullConnection, bullPrefix, QUEUE_NAME } from './bull-connection.js';
import { RunWaiters, isFinished } from './run-waiters.js';
import { ENQUEUE, runScript, SAVE_IF_CURRENT, SLOT_TTL_MS } from './scripts.js';
import { registerQueueGauges } from './queue-gauges.js';
import { RunJournal } from '../run-journal.js';

export interface RunQueueOptions {
  /** Redis for bull's own connections, e.g. `redis://127.0.0.1:6379`. Required. */
  redisUrl: string;
  /** Key prefix of the bull queue (`rf:` → keys `rf:runs:…`); give each test its own. Required. */
  prefix: string;
  /** Where Run records live (kind 'run', index `runs:<workflowId>`). Required. */
  store: RedisStore;
  logger: Logger;
  registry: Registry;
  /** Runs allowed to wait (waiting + delayed retries); past it `queue_full` (429). Default 1000. */
  maxWaiting?: number;
  /** Runs of one workflow queued or running at once; past it `rate_limited` (429). Default 16. */
  workflowMaxConcurrency?: number;
  /** Runs of one workflow enqueued per minute (fixed one-minute windows); past it `rate_limited` (429). Default 0 = no limit. */
  workflowMaxPerMinute?: number;
  /** Runs kept per workflow; older records are deleted on enqueue. Default 200. */
  historyLimit?: number;
  /** Executions of a run that throws (a crash, not a 'failed' run) before it is given up. Default 3. */
  attempts?: number;
  /** First retry delay of a crashed run, doubled each attempt. Default 1000 ms. */
  backoffMs?: number;
  /** Finished jobs bull keeps (the Run records are kept separately). Default 1000 completed, 5000 failed. */
  keepCompletedJobs?: number;
  keepFailedJobs?: number;
  /** Retry-After sent with `queue_full` / `rate_limited`. Default 5 s. */
  retryAfterSeconds?: number;
  /** How long an Idempotency-Key maps to its run. Default 24 h. */
  idempotencyTtlSeconds?: number;
  /** Seals secret inputs in the job data at rest (AES-256-GCM). Unset: they are kept in clear in the job. */
  secretBox?: SecretBox;
  /** Time source (tests). Default Date.now. */
  clock?: () => number;
}

export interface EnqueueRequest {
  workflowId: string;
  /** All inputs, secrets included (the executor gets them all). */
  inputs?: Record<string, unknown>;
  /** Names of secret inputs: kept out of the Run record, sealed in the job. */
  secretInputs?: string[];
  mode?: RunMode;
  session?: string;
  idempotencyKey?: string;
  webhookUrl?: string;
  /**
   * Version of the workflow the inputs were checked against: the SHA-1 hex of its stored JSON. The run
   * is queued only while the workflow is still stored as that version (else `conflict` with a detail
   * at path `workflow`, or `not_found` when it is gone), and a worker may reuse a cached copy of it.
   */
  workflowVersion?: string;
}

/** What a bull job carries; everything else is read from the Run record. */
export interface RunJobData {
  runId: string;
  workflowId: string;
  /** Secret inputs: a SecretBox-sealed JSON object, or the object itself when no box is configured. */
  secrets?: string | Record<string, unknown>;
  /** The Run record as queued: a worker starts it without reading it back. Absent in older jobs. */
  run?: Run;
  /** EnqueueRequest.workflowVersion. */
  workflowVersion?: string;
}

/** Queued runs remembered for a waitFor without a first read (see RunQueue.recent). */
const RECENT_MAX = 1000;

type Resolved = Required<Omit<RunQueueOptions, 'secretBox'>> & { secretBox?: SecretBox };


/**
 * The producer side of runs: creates Run records and bull jobs, enforces the queue bound and the
 * per-workflow concurrency, and lets callers wait for a run to finish (a Redis pub/sub channel
 * that RunWorker publishes to). Any number of RunQueue and RunWorker instances, in any number of
 * processes, may share one Redis and prefix.
 */
export class RunQueue {
  readonly opts: Resolved;
  private readonly log: Logger;
  private bull?: BullConnection;
  private sub?: Redis;
  private readonly waiters = new RunWaiters((id) => this.get(id));
  /**
   * Runs this instance queued and nobody waits for yet, with their completion if it came first
   * ('read': it came without the run). A waitFor on one of them need not read the record first.
   * Bounded: a run dropped from here is waited for the usual way.
   */
  private readonly recent = new Map<string, Run | 'read' | undefined>();
  private closed = false;
  private unregisterGauges?: () => void;

  constructor(opts: RunQueueOptions) {
    if (!opts || typeof opts.redisUrl !== 'string' || !opts.redisUrl) throw new TypeError('RunQueue: redisUrl is required');
    if (typeof opts.prefix !== 'string') throw new TypeError('RunQueue: prefix is required');
    if (!opts.store || !opts.logger || !opts.registry) throw new TypeError('RunQueue: store, logger and registry are required');
    this.opts = {
      maxWaiting: 1000,
      workflowMaxConcurrency: 16,
      workflowMaxPerMinute: 0,
      historyLimit: 200,
      attempts: 3,
      backoffMs: 1000,
      keepCompletedJobs: 1000,
      keepFailedJobs: 5000,
      retryAfterSeconds: 5,
      idempotencyTtlSeconds: 86400,
      clock: Date.now,
      ...stripUndefined(opts),
    } as Resolved;
    for (const k of ['maxWaiting', 'workflowMaxConcurrency', 'historyLimit', 'attempts', 'retryAfterSeconds', 'idempotencyTtlSeconds'] as const) {
      const v = this.opts[k];
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`RunQueue: ${k} must be a whole number >= 1, got ${v}`);
    }
    for (const k of ['backoffMs', 'keepCompletedJobs', 'keepFailedJobs', 'workflowMaxPerMinute'] as const) {
      const v = this.opts[k];
      if (!Number.isInteger(v) || v < 0) throw new TypeError(`RunQueue: ${k} must be a whole number >= 0, got ${v}`);
    }
    this.log = opts.logger.child({ module: 'run-queue' });
  }

  get store(): RedisStore {
    return this.opts.store;
  }

  /** The pub/sub channel on which a finished run's id is published. */
  get doneChannel(): string {
    return this.store.key('runs-done');
  }

  async start(): Promise<void> {
    if (this.bull) return;
    this.closed = false;
    this.bull = new BullConnection({ redisUrl: this.opts.redisUrl, prefix: this.opts.prefix });
    this.bull.queue.on('error', (err) => this.log.warn('queue connection error', { error: err.message }));
    this.sub = new Redis(this.opts.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: false, lazyConnect: true });
    this.sub.on('error', (err) => this.log.warn('subscriber connection error', { error: err.message }));
    // a message is a finished run's JSON (or, from markDone, just its id)
    this.sub.on('message', (_channel: string, message: string) => {
      if (!message.startsWith('{')) {
        if (this.recent.has(message)) this.recent.set(message, 'read');
        return this.waiters.wake(message);
      }
      try {
        this.completed(JSON.parse(message) as Run);
      } catch {
        /* not ours */
      }
    });
    await this.sub.connect();
    await this.sub.subscribe(this.doneChannel);
    await this.bull.queue.isReady();
    this.unregisterGauges = registerQueueGauges(this.opts.registry, this);
  }

  async enqueue(req: EnqueueRequest): Promise<{ run: Run; existing: boolean }> {
    const queue = this.requireStarted();
    if (!req || typeof req.workflowId !== 'string' || !req.workflowId) throw new AppError('invalid_request', 'workflowId is required');
    if (req.webhookUrl !== undefined && !isHttpUrl(req.webhookUrl)) {
      throw new AppError('invalid_request', 'webhookUrl must be an http(s) URL', [{ path: 'webhookUrl', message: 'not an http(s) URL' }]);
    }
    const idemKey = req.idempotencyKey ? this.store.key('idem', req.workflowId, sha256(req.idempotencyKey)) : undefined;
    const now = this.opts.clock();
    const secretNames = new Set(req.secretInputs ?? []);
    const publicInputs: Record<string, unknown> = {};
    const secrets: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(req.inputs ?? {})) (secretNames.has(k) ? secrets : publicInputs)[k] = v;
    const requestedMode = req.mode ?? 'auto';
    const run: Run = {
      id: newId('run'),
      workflowId: req.workflowId,
      status: 'queued',
      mode: requestedMode === 'browser' ? 'browser' : 'http',
      requestedMode,
      session: req.session ?? 'default',
      ...(req.inputs ? { inputs: publicInputs } : {}),
      steps: [],
      createdAt: new Date(now).toISOString(),
      attempts: 0,
      ...(req.webhookUrl ? { webhook: { url: req.webhookUrl } } : {}),
    };

    // One round trip: idempotency, every limit, the Run record and its indexes.
    const index = this.indexName(req.workflowId);
    const keys = [
      this.slotKey(req.workflowId),
      this.bullKey('wait'),
      this.bullKey('paused'),
      this.bullKey('delayed'),
      this.store.key('idx', index),
      this.store.key('rate', req.workflowId, String(Math.floor(now / 60_000))),
      this.store.key('run', run.id),
      this.store.key('run', 'index'),
      ...(idemKey ? [idemKey] : []),
    ];
    const args = [
      now,
      now - SLOT_TTL_MS,
      this.opts.workflowMaxConcurrency,
      run.id,
      SLOT_TTL_MS,
      this.opts.maxWaiting,
      this.opts.workflowMaxPerMinute,
      JSON.stringify(run),
      this.opts.idempotencyTtlSeconds,
      this.store.key('run', ''),
      req.workflowVersion ?? '',
      this.store.key('workflow', req.workflowId),
    ];
    const [took, history] = (await this.guard(() => runScript(this.store.redis, ENQUEUE, keys, args))) as [number, number | string];
    if (took === 2) return { run: JSON.parse(history as string) as Run, existing: true };
    if (took === -3) throw new AppError('not_found', `No workflow with id ${req.workflowId}`);
    if (took === -4) throw new AppError('conflict', `Workflow ${req.workflowId} changed while the run was being queued`, [{ path: 'workflow', message: 'changed' }]);
    if (took === 0) {
      throw new AppError('queue_full', `The run queue is full (${this.opts.maxWaiting} waiting)`, undefined, this.opts.retryAfterSeconds);
    }
    if (took === -2) {
      const nextWindow = Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
      throw new AppError('rate_limited', `Workflow ${req.workflowId} reached ${this.opts.workflowMaxPerMinute} runs this minute`, undefined, nextWindow);
    }
    if (took !== 1) {
      throw new AppError(
        'rate_limited',
        `Workflow ${req.workflowId} already has ${this.opts.workflowMaxConcurrency} runs queued or running`,
        undefined,
        this.opts.retryAfterSeconds,
      );
    }

    try {
      const data: RunJobData = { runId: run.id, workflowId: run.workflowId, run };
      if (req.workflowVersion) data.workflowVersion = req.workflowVersion;
      // Sealed only when a secret input was given: most runs use the stored (already sealed) defaults.
      if (Object.keys(secrets).length > 0) data.secrets = this.opts.secretBox ? this.opts.secretBox.seal(JSON.stringify(secrets)) : secrets;
      // Before the job exists, so that its completion cannot come unseen.
      this.remember(run.id);
      await queue.add(data, {
        jobId: run.id,
        attempts: this.opts.attempts,
        backoff: { type: 'exponential', delay: this.opts.backoffMs },
        removeOnComplete: this.opts.keepCompletedJobs,
        removeOnFail: this.opts.keepFailedJobs,
      });
    } catch (err) {
      this.recent.delete(run.id);
      await Promise.allSettled([
        this.releaseSlot(req.workflowId, run.id),
        this.store.delete('run', run.id, [index]),
        idemKey ? this.store.redis.del(idemKey) : Promise.resolve(),
      ]);
      if (err instanceof AppError) throw err;
      throw new AppError('redis_unavailable', 'Could not queue the run', undefined, 5, { cause: err });
    }

    // history counted the index before this run was added
    if ((history as number) + 1 > this.opts.historyLimit) {
      await this.store.trimIndex('run', this.indexName(req.workflowId), this.opts.historyLimit).catch((err: Error) => {
        this.log.warn('history trim failed', { workflowId: req.workflowId, error: err.message });
      });
    }
    this.log.debug('run queued', { runId: run.id, workflowId: run.workflowId });
    return { run, existing: false };
  }

  /**
   * The run once it has finished, or its record as it is when `waitMs` passes. Listens on the
   * done channel (no polling); a message lost to a reconnect only costs the rest of the wait.
   */
  async waitFor(runId: string, waitMs: number): Promise<Run> {
    this.requireStarted();
    if (waitMs > 0 && this.recent.has(runId) && this.sub?.status === 'ready') {
      const seen = this.recent.get(runId);
      this.recent.delete(runId);
      if (seen && seen !== 'read') return seen;
      return this.waiters.wait(runId, waitMs, seen === 'read');
    }
    return this.waiters.wait(runId, waitMs);
  }

  get(runId: string): Promise<Run | undefined> {
    return this.store.get<Run>('run', runId);
  }

  /** A workflow's runs, newest first (default 50). */
  list(workflowId: string, opts: { limit?: number; offset?: number } = {}): Promise<Run[]> {
    return this.store.list<Run>('run', { index: this.indexName(workflowId), limit: opts.limit, offset: opts.offset });
  }

  async counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }> {
    const c = await this.guard(() => this.requireStarted().getJobCounts());
    return { waiting: c.waiting, active: c.active, delayed: c.delayed, failed: c.failed };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unregisterGauges?.();
    this.waiters.settleAll();
    this.recent.clear();
    const bull = this.bull;
    const sub = this.sub;
    this.bull = undefined;
    this.sub = undefined;
    await Promise.allSettled([bull?.close(true), sub?.quit().catch(() => sub.disconnect())]);
  }

  /**
   * Deletes a workflow's runs (its workflow is gone): their records, the workflow's run index, slot,
   * per-minute counters and Idempotency-Keys, and their bull jobs (whose data names the workflow),
   * those of runs already trimmed from the history included. Records go first: a worker that takes
   * one of these jobs from then on drops it (RunWorker: "run record gone"), and one running a run
   * now has its result discarded (saveIfCurrent finds no record). A job running now cannot be
   * removed (bull holds its lock): `running` lists them, for the caller to call again once they
   * finished. Returns how many run records were deleted.
   */
  async deleteWorkflowRuns(workflowId: string): Promise<{ deleted: number; running: string[] }> {
    const queue = this.requireStarted();
    const redis = this.store.redis;
    const idxKey = this.store.key('idx', this.indexName(workflowId));
    const ids = await this.guard(() => redis.zrange(idxKey, 0, -1));
    let deleted = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const multi = redis
        .multi()
        .del(...chunk.map((id) => this.store.key('run', id)))
        .zrem(this.store.key('run', 'index'), ...chunk)
        .del(...chunk.map((id) => RunJournal.key(this.store, id)));
      // A caller waiting for one of them (a sync run) hears now that it is gone, not when its wait ends.
      for (const id of chunk) multi.publish(this.doneChannel, id);
      const res = await this.guard(() => multi.exec());
      deleted += Number(res?.[0]?.[1] ?? 0);
    }
    await this.guard(() => redis.del(idxKey, this.slotKey(workflowId)));
    await this.store.deleteMatching(`rate:${globEscape(workflowId)}:*`);
    await this.store.deleteMatching(`idem:${globEscape(workflowId)}:*`);

    const running: string[] = [];
    for (const id of new Set([...ids, ...(await this.jobsOf(workflowId))])) {
      const job = await this.guard(() => queue.getJob(id));
      if (!job) continue;
      // Refused while a worker holds the job's lock (it is running): left for the caller's next call.
      await job.remove().catch(() => running.push(id));
    }
    this.log.info('runs of a deleted workflow deleted', { workflowId, runs: deleted, running: running.length });
    return { deleted, running };
  }

  /** Ids of the bull jobs (in any state) whose data names the workflow. */
  private async jobsOf(workflowId: string): Promise<string[]> {
    const redis = this.store.redis;
    const [wait, paused, active, delayed, completed, failed] = await this.guard(() =>
      Promise.all([
        redis.lrange(this.bullKey('wait'), 0, -1),
        redis.lrange(this.bullKey('paused'), 0, -1),
        redis.lrange(this.bullKey('active'), 0, -1),
        redis.zrange(this.bullKey('delayed'), 0, -1),
        redis.zrange(this.bullKey('completed'), 0, -1),
        redis.zrange(this.bullKey('failed'), 0, -1),
      ]),
    );
    const all = [...new Set([...wait, ...paused, ...active, ...delayed, ...completed, ...failed])];
    const found: string[] = [];
    for (let i = 0; i < all.length; i += 500) {
      const chunk = all.slice(i, i + 500);
      const pipe = redis.pipeline();
      for (const id of chunk) pipe.hget(this.bullKey(id), 'data');
      const res = (await this.guard(() => pipe.exec())) ?? [];
      res.forEach(([, data], j) => {
        if (typeof data !== 'string' || !data.includes(workflowId)) return;
        try {
          if ((JSON.parse(data) as Partial<RunJobData>).workflowId === workflowId) found.push(chunk[j]!);
        } catch {
          /* not a run job */
        }
      });
    }
    return found;
  }

  // ---- used by RunWorker ----

  /** Frees the workflow's concurrency slot and tells waiters (in every process) that the run is done. */
  async markDone(run: Pick<Run, 'id' | 'workflowId'>): Promise<void> {
    await this.store.redis.multi().zrem(this.slotKey(run.workflowId), run.id).publish(this.doneChannel, run.id).exec();
  }

  /**
   * Stores `run` if its record is still at attempt `run.attempts` and not finished; false otherwise.
   * A finished run is stored, its slot freed and its completion published in one step.
   */
  async saveIfCurrent(run: Run): Promise<boolean> {
    const key = this.store.key('run', run.id);
    const json = JSON.stringify(run);
    const res = await this.guard(() =>
      isFinished(run)
        ? runScript(this.store.redis, SAVE_IF_CURRENT, [key, this.slotKey(run.workflowId)], [run.attempts ?? 0, json, run.id, this.doneChannel])
        : runScript(this.store.redis, SAVE_IF_CURRENT, [key], [run.attempts ?? 0, json]),
    );
    const saved = Number(res) === 1;
    // Waiters in this process answer now rather than after the worker's bookkeeping and the message.
    if (saved && isFinished(run)) this.completed(run);
    return saved;
  }

  async releaseSlot(workflowId: string, runId: string): Promise<void> {
    await this.store.redis.zrem(this.slotKey(workflowId), runId);
  }

  /** Opens secret inputs from job data. */
  openSecrets(data: RunJobData): Record<string, unknown> {
    if (!data.secrets) return {};
    if (typeof data.secrets !== 'string') return data.secrets;
    if (!this.opts.secretBox) throw new AppError('internal', 'Secret inputs are sealed but no secretBox is configured');
    return JSON.parse(this.opts.secretBox.open(data.secrets)) as Record<string, unknown>;
  }

  indexName(workflowId: string): string {
    return `runs:${workflowId}`;
  }

  // ---- internals ----

  /** A completion (from the done channel, or stored by a worker of this process). */
  private completed(run: Run): void {
    if (this.recent.has(run.id)) this.recent.set(run.id, isFinished(run) ? run : 'read');
    this.waiters.wake(run.id, run);
  }

  private remember(runId: string): void {
    this.recent.set(runId, undefined);
    if (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.keys().next().value!);
  }

  private bullKey(type: string): string {
    return `${bullPrefix(this.opts.prefix)}:${QUEUE_NAME}:${type}`;
  }

  private slotKey(workflowId: string): string {
    return this.store.key('inflight', workflowId);
  }

  private requireStarted(): Bull.Queue {
    if (!this.bull) throw new AppError('not_ready', 'The run queue is not started');
    return this.bull.queue;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('redis_unavailable', 'Redis is not reachable', undefined, 5, { cause: err });
    }
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function isHttpUrl(s: unknown): boolean {
  if (typeof s !== 'string') return false;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
