import type { BrowserPool } from '../browser-pool/index.js';
import { Type } from '@sinclair/typebox';
import { boolOption, functionOption, intOption, numberOption, objectOption, readOptions } from '../core/index.js';
import type { Action, HARFile, Logger, RedisStore, Registry, Run, SecretBox, Workflow } from '../core/index.js';

export interface ReplayerOptions {
  /** Where sessions (cookie jar + tokens) live, per (workflow id, session name). */
  store: RedisStore;
  /** Browsers for browser mode and for session repairs that need one. */
  pool: BrowserPool;
  logger: Logger;
  registry: Registry;
  /** Opens the sealed defaults of secret inputs (the stored password of a login). */
  secretBox: SecretBox;
  /** Let runs contact loopback addresses (127.0.0.0/8, ::1). Default false. */
  allowLoopback?: boolean;
  /** Let runs contact private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). Default false. */
  allowPrivate?: boolean;
  /** Longest wait for one HTTP step (its redirects included) or one browser action, ms. Default 15000. */
  stepTimeoutMs?: number;
  /** Longest run, browser fallback included, ms. Default 120000. */
  runDeadlineMs?: number;
  /** Largest response body a step reads, compressed or not, bytes. Default 10 MiB. */
  maxResponseBytes?: number;
  /** Retries of transient failures (5xx, 429, connection errors, timeouts): total attempts and exponential backoff with jitter. Defaults 3, 200 ms, 5000 ms. */
  retries?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /**
   * Per-origin circuit breaker (see CircuitBreakerOptions). Defaults: opens after 5 consecutive
   * transient failures for 5000 ms, doubled by each failed trial up to 60000 ms; runs that come
   * while a trial is in flight wait for it; a trial unanswered after twice stepTimeoutMs is given up.
   */
  breaker?: { failureThreshold?: number; resetMs?: number; maxResetMs?: number; trialTimeoutMs?: number };
  /** Clock for the circuit breaker (tests). Default Date.now. */
  clock?: () => number;
  /**
   * Called after a run that drifted (the site changed) got through in the browser, with that
   * browser run's traffic: what a healer learns a candidate version from. Not awaited by the run.
   * Default: none (the browser run's traffic is not kept).
   */
  onDrift?: (evidence: DriftEvidence) => void;
}

/** What a drifted run that the browser got through leaves for healing. */
export interface DriftEvidence {
  /** The workflow as it ran (its version included). */
  workflow: Workflow;
  /** The browser run's traffic, as Playwright recorded it (secrets in clear: keep it in memory only). */
  har: HARFile;
  /** The actions as the browser did them: typed values as this run typed them (secrets in clear: memory only). */
  actions: Action[];
  /** The step whose answer showed the drift, and how. */
  step: string;
  reason: string;
  runId?: string;
}

export interface RunRequest {
  inputs?: Record<string, unknown>;
  /** auto (default): HTTP with session repair, the whole run in a browser as last resort; http: never a browser; browser: only the browser. */
  mode?: 'auto' | 'http' | 'browser';
  /** Session name; runs with the same name share cookies and tokens. Default 'default'. */
  session?: string;
  runId?: string;
  /**
   * Execution number of the run (1 first; more after its worker died). With runId, state-changing
   * steps go through the run's step journal in Redis: an execution never sends a step an earlier
   * one sent (see RunJournal). Default 1.
   */
  attempt?: number;
  /** Keep no step journal even with a runId (a caller that runs each id once, e.g. a one-off check). Default true. */
  journal?: boolean;
  /** Aborting it stops the run (it fails with run_deadline_exceeded). */
  signal?: AbortSignal;
}

export type RunResult = Pick<Run, 'status' | 'mode' | 'output' | 'steps' | 'fallback' | 'warnings' | 'error' | 'durationMs'>;

/** ReplayerOptions as a schema (the interface above documents each field): bounds and defaults in one place. */
export const ReplayerOptionsSchema = Type.Object({
  store: objectOption<RedisStore>(),
  pool: objectOption<BrowserPool>(),
  logger: objectOption<Logger>(),
  registry: objectOption<Registry>(),
  secretBox: objectOption<SecretBox>(),
  allowLoopback: boolOption(false),
  allowPrivate: boolOption(false),
  stepTimeoutMs: numberOption(1, 15_000),
  runDeadlineMs: numberOption(1, 120_000),
  maxResponseBytes: numberOption(1, 10 * 1024 * 1024),
  retries: Type.Object({ attempts: numberOption(1, 3), baseDelayMs: numberOption(0, 200), maxDelayMs: numberOption(0, 5000) }, { default: {} }),
  // checked by the CircuitBreaker it configures
  breaker: Type.Optional(objectOption<NonNullable<ReplayerOptions['breaker']>>()),
  clock: Type.Optional(functionOption<() => number>()),
  onDrift: Type.Optional(functionOption<(e: DriftEvidence) => void>()),
});

export type ResolvedReplayerOptions = Required<Omit<ReplayerOptions, 'retries' | 'breaker' | 'clock' | 'onDrift'>> &
  Pick<ReplayerOptions, 'breaker' | 'clock' | 'onDrift'> & { retries: { attempts: number; baseDelayMs: number; maxDelayMs: number } };

/** Checks a Replayer's options once, at construction, and fills in the defaults. */
export function resolveReplayerOptions(opts: ReplayerOptions): ResolvedReplayerOptions {
  return readOptions<ResolvedReplayerOptions>(ReplayerOptionsSchema, opts, 'Replayer');
}
