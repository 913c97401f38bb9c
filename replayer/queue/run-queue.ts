import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type Bull from 'bull';
import { AppError, connectRedis, newId, type Logger, type RedisStore } from '../../core/index.js';
import type { Run } from '../../core/index.js';
import { BullConnection } from './bull-connection.js';
import { RunLedger, type RunJobData } from './run-ledger.js';
import { searchRuns, type RunFilter, type RunSearch } from './run-search.js';
import { RunWaiters, isFinished } from './run-waiters.js';
import { ENQUEUE, SLOT_TTL_MS } from './scripts.js';
import { registerQueueGauges } from './queue-gauges.js';
import { deleteWorkflowRuns } from './workflow-runs.js';
import { jobOf, newRun } from './new-run.js';

import { resolveQueueOptions, type EnqueueRequest, type ResolvedQueueOptions, type RunQueueOptions } from './run-queue-options.js';

export type { RunJobData, EnqueueRequest, RunQueueOptions };

/**
 * The run was not queued: the workflow is no longer stored as the version the inputs were
 * checked against (EnqueueRequest.workflowVersion). A `conflict` with a detail at path `workflow`.
 */
export class WorkflowChangedError extends AppError {
  constructor(workflowId: string) {
    super('conflict', `Workflow ${workflowId} changed while the run was being queued`, { details: [{ path: 'workflow', message: 'changed' }] });
  }
}

/** Queued runs remembered for a waitFor without a first read (see RunQueue.recent). */
const RECENT_MAX = 1000;


/** What enqueue.lua answered. */
type Reservation = ['queued', number] | ['existing', string] | ['queue_full' | 'no_slot' | 'rate_exceeded' | 'workflow_gone' | 'workflow_changed'];

/**
 * The producer side of runs: creates Run records and bull jobs, enforces the queue bound and the
 * per-workflow concurrency, and lets callers wait for a run to finish (a Redis pub/sub channel
 * that RunWorker publishes to). Any number of RunQueue and RunWorker instances, in any number of
 * processes, may share one Redis and prefix. What workers use is the ledger's.
 */
export class RunQueue {
  readonly opts: ResolvedQueueOptions;
  /** The run records, slots and done channel, shared with the workers of this process. */
  readonly ledger: RunLedger;
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
    this.opts = resolveQueueOptions(opts);
    this.log = opts.logger.child({ module: 'run-queue' });
    this.ledger = new RunLedger({ redisUrl: opts.redisUrl, prefix: opts.prefix, store: opts.store, secretBox: opts.secretBox });
    // Waiters in this process answer as soon as a worker here stores a run, not after the message.
    this.ledger.onFinished((run) => this.completed(run));
  }

  get store(): RedisStore {
    return this.opts.store;
  }

  /** The pub/sub channel on which a finished run's id is published. */
  get doneChannel(): string {
    return this.ledger.doneChannel;
  }

  async start(): Promise<void> {
    if (this.bull) return;
    this.closed = false;
    this.bull = new BullConnection({ redisUrl: this.opts.redisUrl, prefix: this.opts.prefix });
    this.bull.queue.on('error', (err) => this.log.warn('queue connection error', { error: err.message }));
    this.sub = connectRedis(this.opts.redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: false, lazyConnect: true });
    this.sub.on('error', () => {}); // an outage is reported once by server/redis-watch.ts, not per reconnect
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
      throw new AppError('invalid_request', 'webhookUrl must be an http(s) URL', { details: [{ path: 'webhookUrl', message: 'not an http(s) URL' }] });
    }
    const idemKey = req.idempotencyKey ? this.store.key('idem', req.workflowId, sha256(req.idempotencyKey)) : undefined;
    const now = this.opts.clock();
    const { run, secrets } = newRun(req, now);
    const job = jobOf(req, run, secrets ? this.ledger.sealSecrets(secrets) : undefined, this.opts, now);
    // Before the job exists, so that its completion cannot come unseen.
    this.remember(run.id);
    let reserved: ['queued', number] | ['existing', string];
    try {
      reserved = await this.reserve(req, run, now, idemKey, job, queue);
    } catch (err) {
      this.recent.delete(run.id);
      throw err;
    }
    if (reserved[0] === 'existing') {
      this.recent.delete(run.id);
      return { run: JSON.parse(reserved[1]) as Run, existing: true };
    }
    this.log.debug('run queued', { runId: run.id, workflowId: run.workflowId });
    return { run, existing: false };
  }

  /** One round trip (enqueue.lua): idempotency, every limit, the Run record, its indexes, its bull job and the history trim. A refusal is thrown. */
  private async reserve(req: EnqueueRequest, run: Run, now: number, idemKey: string | undefined, job: { data: string; opts: string }, queue: Bull.Queue): Promise<['queued', number] | ['existing', string]> {
    const l = this.ledger;
    const k = (...parts: string[]) => this.store.key(...parts);
    const keys = {
      slots: l.slotKey(req.workflowId),
      wait: l.bullKey('wait'),
      paused: l.bullKey('paused'),
      delayed: l.bullKey('delayed'),
      history: k('idx', l.indexName(req.workflowId)),
      rate: k('rate', req.workflowId, String(Math.floor(now / 60_000))),
      run: k('run', run.id),
      runIndex: k('run', 'index'),
      workflow: k('workflow', req.workflowId),
      metaPaused: l.bullKey('meta-paused'),
      jobCounter: l.bullKey('id'),
      job: l.bullKey(run.id),
      idem: idemKey,
    };
    const o = this.opts;
    const args = {
      now,
      slotsBefore: now - SLOT_TTL_MS,
      maxSlots: o.workflowMaxConcurrency,
      runId: run.id,
      slotTtlMs: SLOT_TTL_MS,
      maxWaiting: o.maxWaiting,
      ratePerMinute: o.workflowMaxPerMinute,
      runJson: JSON.stringify(run),
      idemTtlS: o.idempotencyTtlSeconds,
      runKeyPrefix: k('run', ''),
      workflowVersion: req.workflowVersion ?? '',
      jobData: job.data,
      jobOpts: job.opts,
      // bull's own 'waiting' event channel (waiting@<token>), as its addJob publishes it
      token: (queue as Bull.Queue & { token?: string }).token ?? '',
      historyLimit: o.historyLimit,
      eventsChannel: l.eventsChannel,
    };
    const res = await this.store.eval<Reservation>(ENQUEUE, keys, args);
    switch (res[0]) {
      case 'queued':
      case 'existing':
        return res;
      case 'workflow_gone':
        throw new AppError('not_found', `No workflow with id ${req.workflowId}`);
      case 'workflow_changed':
        throw new WorkflowChangedError(req.workflowId);
      case 'queue_full':
        throw new AppError('queue_full', `The run queue is full (${o.maxWaiting} waiting)`, { retryAfter: o.retryAfterSeconds });
      case 'rate_exceeded':
        throw new AppError('rate_limited', `Workflow ${req.workflowId} reached ${o.workflowMaxPerMinute} runs this minute`, { retryAfter: Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000)) });
      default:
        throw new AppError('rate_limited', `Workflow ${req.workflowId} already has ${o.workflowMaxConcurrency} runs queued or running`, { retryAfter: o.retryAfterSeconds });
    }
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
    return this.store.list<Run>('run', { index: this.ledger.indexName(workflowId), limit: opts.limit, offset: opts.offset });
  }

  /** Runs newest first, of one workflow or all, of a status and mode when given (see searchRuns). */
  search(filter: RunFilter): Promise<RunSearch> {
    return searchRuns(this.store, filter.workflowId ? this.ledger.indexName(filter.workflowId) : undefined, filter);
  }

  async counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }> {
    const queue = this.requireStarted();
    const c = await this.store.call(() => queue.getJobCounts());
    return { waiting: c.waiting, active: c.active, delayed: c.delayed, failed: c.failed };
  }

  /** Deletes a workflow's runs, their jobs and what limits them (see workflow-runs.ts deleteWorkflowRuns). */
  deleteWorkflowRuns(workflowId: string): Promise<{ deleted: number; running: string[] }> {
    return deleteWorkflowRuns(this.ledger, this.requireStarted(), workflowId, this.log);
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

  /** A completion (from the done channel, or stored by a worker of this process). */
  private completed(run: Run): void {
    if (this.recent.has(run.id)) this.recent.set(run.id, isFinished(run) ? run : 'read');
    this.waiters.wake(run.id, run);
  }

  private remember(runId: string): void {
    this.recent.set(runId, undefined);
    if (this.recent.size > RECENT_MAX) this.recent.delete(this.recent.keys().next().value!);
  }

  private requireStarted(): Bull.Queue {
    if (!this.bull) throw new AppError('not_ready', 'The run queue is not started');
    return this.bull.queue;
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
