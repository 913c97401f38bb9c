import { Type } from '@sinclair/typebox';
import { functionOption, intOption, objectOption, readOptions, type Logger, type Registry, type RedisStore, type RunMode, type SecretBox } from '../../core/index.js';

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

export type ResolvedQueueOptions = Required<Omit<RunQueueOptions, 'secretBox'>> & { secretBox?: SecretBox };

/** RunQueueOptions as a schema (the interface above documents each field): bounds and defaults in one place. */
export const RunQueueOptionsSchema = Type.Object({
  redisUrl: Type.String({ minLength: 1 }),
  prefix: Type.String(),
  store: objectOption<RedisStore>(),
  logger: objectOption<Logger>(),
  registry: objectOption<Registry>(),
  maxWaiting: intOption(1, 1000),
  workflowMaxConcurrency: intOption(1, 16),
  workflowMaxPerMinute: intOption(0, 0),
  historyLimit: intOption(1, 200),
  attempts: intOption(1, 3),
  backoffMs: intOption(0, 1000),
  keepCompletedJobs: intOption(0, 1000),
  keepFailedJobs: intOption(0, 5000),
  retryAfterSeconds: intOption(1, 5),
  idempotencyTtlSeconds: intOption(1, 86400),
  secretBox: Type.Optional(objectOption<SecretBox>()),
  clock: Type.Optional(functionOption<() => number>()),
});

/** The options with their defaults, checked once. */
export function resolveQueueOptions(opts: RunQueueOptions): ResolvedQueueOptions {
  const o = readOptions<ResolvedQueueOptions>(RunQueueOptionsSchema, opts, 'RunQueue');
  o.clock ??= Date.now;
  return o;
}
