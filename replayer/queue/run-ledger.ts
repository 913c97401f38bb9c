import { AppError, type RedisStore, type Run, type SecretBox } from '../../core/index.js';
import { bullPrefix, QUEUE_NAME } from './bull-connection.js';
import { isFinished } from './run-waiters.js';
import { SAVE_IF_CURRENT, START_RUN } from './scripts.js';
import { RunJournal } from '../run-journal.js';

export interface RunLedgerOptions {
  /** Redis for bull's own connections, e.g. `redis://127.0.0.1:6379`. Required. */
  redisUrl: string;
  /** Key prefix of the bull queue (`rf:` → keys `rf:runs:…`). Required. */
  prefix: string;
  /** Where Run records live (kind 'run', index `runs:<workflowId>`). Required. */
  store: RedisStore;
  /** Opens the secret inputs sealed in job data. Unset: they are kept in clear in the job. */
  secretBox?: SecretBox;
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

/** How a worker's start of a queued run went (start-run.lua). */
export type StartResult = { result: 'started' } | { result: 'moved'; run: Run } | { result: 'gone' };

/**
 * The run records and their keys as both sides of the queue see them: where the queue lives
 * (bull's connection settings), the Run records, the workflow slots and the done channel. The
 * producer (RunQueue) writes new runs through it; a worker (RunWorker) starts, fences and
 * finishes them through it and needs nothing else of the producer.
 */
export class RunLedger {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly store: RedisStore;
  private readonly secretBox?: SecretBox;
  /** Told of every finished run this process stores (RunQueue wakes its waiters without waiting for the message). */
  private readonly finishedListeners: Array<(run: Run) => void> = [];

  constructor(opts: RunLedgerOptions) {
    if (!opts || typeof opts.redisUrl !== 'string' || !opts.redisUrl) throw new TypeError('RunLedger: redisUrl is required');
    if (typeof opts.prefix !== 'string') throw new TypeError('RunLedger: prefix is required');
    if (!opts.store) throw new TypeError('RunLedger: store is required');
    this.redisUrl = opts.redisUrl;
    this.prefix = opts.prefix;
    this.store = opts.store;
    this.secretBox = opts.secretBox;
  }

  /** The pub/sub channel on which a finished run (or, from markDone, its id) is published. */
  get doneChannel(): string {
    return this.store.key('runs-done');
  }

  /**
   * The pub/sub channel on which a run is published (its JSON) when it is queued and when it
   * starts; finished runs go to doneChannel. Together they are what GET /v1/runs/events follows.
   */
  get eventsChannel(): string {
    return this.store.key('runs-events');
  }

  onFinished(listener: (run: Run) => void): void {
    this.finishedListeners.push(listener);
  }

  get(runId: string): Promise<Run | undefined> {
    return this.store.get<Run>('run', runId);
  }

  update(run: Run): Promise<void> {
    return this.store.update('run', run.id, run);
  }

  /** Stores `running` if the record is still the queued one of attempt `queuedAttempt` (one round trip). */
  async start(runId: string, queuedAttempt: number, running: Run): Promise<StartResult> {
    const res = await this.store.eval<[string, string?]>(START_RUN, { run: this.store.key('run', runId) }, { attempt: queuedAttempt, runningJson: JSON.stringify(running), eventsChannel: this.eventsChannel });
    if (res[0] === 'moved') return { result: 'moved', run: JSON.parse(res[1]!) as Run };
    return { result: res[0] === 'started' ? 'started' : 'gone' };
  }

  /**
   * Stores `run` if its record is still at attempt `run.attempts` and not finished; false otherwise.
   * A finished run is stored, its slot freed, its completion published and its step journal
   * deleted (nothing reads a finished run's journal) in one step.
   */
  async saveIfCurrent(run: Run): Promise<boolean> {
    const finished = isFinished(run);
    const keys = {
      run: this.store.key('run', run.id),
      slots: finished ? this.slotKey(run.workflowId) : undefined,
      journal: finished ? RunJournal.key(this.store, run.id) : undefined,
    };
    const args = { attempt: run.attempts ?? 0, runJson: JSON.stringify(run), runId: run.id, channel: this.doneChannel };
    const saved = (await this.store.eval(SAVE_IF_CURRENT, keys, args)) === 'saved';
    if (saved && finished) for (const l of this.finishedListeners) l(run);
    return saved;
  }

  /** Frees the workflow's concurrency slot and tells waiters (in every process) that the run is done. */
  async markDone(run: Pick<Run, 'id' | 'workflowId'>): Promise<void> {
    await this.store.call((r) => r.multi().zrem(this.slotKey(run.workflowId), run.id).publish(this.doneChannel, run.id).exec());
  }

  async releaseSlot(workflowId: string, runId: string): Promise<void> {
    await this.store.call((r) => r.zrem(this.slotKey(workflowId), runId));
  }

  /** Opens secret inputs from job data. */
  openSecrets(data: RunJobData): Record<string, unknown> {
    if (!data.secrets) return {};
    if (typeof data.secrets !== 'string') return data.secrets;
    if (!this.secretBox) throw new AppError('internal', 'Secret inputs are sealed but no secretBox is configured');
    return JSON.parse(this.secretBox.open(data.secrets)) as Record<string, unknown>;
  }

  /** Seals secret inputs for job data (in clear without a box). */
  sealSecrets(secrets: Record<string, unknown>): string | Record<string, unknown> {
    return this.secretBox ? this.secretBox.seal(JSON.stringify(secrets)) : secrets;
  }

  /** The named index of a workflow's runs. */
  indexName(workflowId: string): string {
    return `runs:${workflowId}`;
  }

  /** A key of the bull queue (`wait`, `active`, a job id, …). */
  bullKey(type: string): string {
    return `${bullPrefix(this.prefix)}:${QUEUE_NAME}:${type}`;
  }

  /** The sorted set of a workflow's runs queued or running. */
  slotKey(workflowId: string): string {
    return this.store.key('inflight', workflowId);
  }
}
