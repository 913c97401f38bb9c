import { hostname } from 'node:os';
import { Type } from '@sinclair/typebox';
import { functionOption, intOption, objectOption, readOptions, type Logger, type Registry, type Run } from '../../core/index.js';
import type { RunLedger } from './run-ledger.js';

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
  queue: { readonly ledger: RunLedger };
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


export type ResolvedWorkerOptions = Required<Omit<RunWorkerOptions, 'webhookSecret' | 'webhookGuard'>> & Pick<RunWorkerOptions, 'webhookSecret' | 'webhookGuard'>;

/** RunWorkerOptions as a schema (the interface above documents each field): bounds and defaults in one place. */
export const RunWorkerOptionsSchema = Type.Object({
  queue: Type.Object({ ledger: objectOption<RunLedger>() }),
  execute: functionOption<RunWorkerOptions['execute']>(),
  logger: objectOption<Logger>(),
  registry: objectOption<Registry>(),
  concurrency: intOption(1, 8),
  webhookSecret: Type.Optional(Type.String()),
  workerId: Type.Optional(Type.String({ minLength: 1 })),
  shutdownTimeoutMs: intOption(0, 10_000),
  lockDurationMs: intOption(1, 10_000),
  stalledIntervalMs: intOption(1, 5_000),
  maxStalledCount: intOption(0, 1),
  webhookTimeoutMs: intOption(1, 5_000),
  webhookGuard: Type.Optional(functionOption<NonNullable<RunWorkerOptions['webhookGuard']>>()),
});

/** The options with their defaults, checked once. */
export function resolveWorkerOptions(opts: RunWorkerOptions): ResolvedWorkerOptions {
  const o = readOptions<ResolvedWorkerOptions>(RunWorkerOptionsSchema, opts, 'RunWorker');
  o.workerId ??= `${hostname()}:${process.pid}`;
  return o;
}
