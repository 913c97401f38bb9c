/** What a RecordingManager and one recording are given, and how each is checked before use. */
import { tmpdir } from 'node:os';
import type { BrowserPool } from '../browser-pool/index.js';
import { Type } from '@sinclair/typebox';
import { AddressPolicy, AppError, functionOption, intOption, numberOption, objectOption, readOptions } from '../core/index.js';
import type { Logger, Recording, RedisStore, Registry, SecretBox, Workflow } from '../core/index.js';

export interface RecordingManagerOptions {
  /** Where recordings lease their browser context. Required. */
  pool: Pick<BrowserPool, 'lease'>;
  /** Where recordings, workflows and redacted HARs (`blob har:<id>`) are kept. Required. */
  store: RedisStore;
  /** Parent logger; the manager logs as `module: 'recorder'`. Required. */
  logger: Logger;
  /** Metrics registry. Required. */
  registry: Registry;
  /** Seals the secret values a workflow keeps (a password to log in again). Required. */
  secretBox: SecretBox;
  /** Directory of the HAR files Playwright writes while recording (deleted once stored). Default os.tmpdir(). */
  harDir?: string;
  /** A recording with no activity (page events, scripted actions) for this long is stopped and saved. Required (config RECORDING_IDLE_TIMEOUT_MS). */
  idleTimeoutMs: number;
  /** Longest recording; then it is stopped and saved. Required (config RECORDING_MAX_DURATION_MS). */
  maxDurationMs: number;
  /** Browser recordings open at once; one more is `too_many_recordings`. Required (config RECORDING_MAX_CONCURRENT). */
  maxConcurrent: number;
  /** Largest HAR upload after decompression. Required (config HAR_LIMIT). */
  harLimitBytes: number;
  /** Timeout of one scripted action. Default 15000. */
  actionTimeoutMs?: number;
  /** An open recording whose process has not refreshed its liveness for this long is marked failed by a sweep (see startSweeper). Default 30000. */
  livenessMs?: number;
  /**
   * Addresses a recording's browser may contact (config RECORDING_ALLOW_LOCAL_TARGETS, else the
   * replays' ALLOW_LOOPBACK_TARGETS and ALLOW_PRIVATE_TARGETS). Default: public, loopback and
   * private addresses; cloud metadata and link-local are refused by every policy.
   */
  policy?: AddressPolicy;
}

export interface StartRecordingOptions {
  startUrl: string;
  headed?: boolean;
  actions?: unknown;
  name?: string;
  /** Id of the API key that starts it (see Recording.owner). */
  owner?: string;
}

export interface RecordingResult {
  recording: Recording;
  workflow: Workflow;
}

/** RecordingManagerOptions as a schema (the interface above documents each field): bounds and defaults in one place. */
export const RecordingManagerOptionsSchema = Type.Object({
  pool: Type.Object({ lease: functionOption<BrowserPool['lease']>() }),
  store: objectOption<RedisStore>(),
  logger: objectOption<Logger>(),
  registry: objectOption<Registry>(),
  secretBox: objectOption<SecretBox>(),
  harDir: Type.Optional(Type.String({ minLength: 1 })),
  idleTimeoutMs: intOption(1),
  maxDurationMs: intOption(1),
  maxConcurrent: intOption(1),
  harLimitBytes: intOption(1),
  actionTimeoutMs: numberOption(1, 15_000),
  livenessMs: intOption(100, 30_000),
  policy: Type.Optional(objectOption<AddressPolicy>()),
});

/** Checks the manager's options once, at construction, and fills in the defaults. */
export function resolveManagerOptions(opts: RecordingManagerOptions): Required<RecordingManagerOptions> {
  const o = readOptions<Required<RecordingManagerOptions>>(RecordingManagerOptionsSchema, opts, 'RecordingManager');
  o.harDir ??= tmpdir();
  o.policy ??= new AddressPolicy({ allowLoopback: true, allowPrivate: true });
  return o;
}

/** A start request's headed flag and name (startUrl and actions are checked on their own). */
export function checkStartFlags(opts: StartRecordingOptions): void {
  if (opts.headed !== undefined && typeof opts.headed !== 'boolean') throw new AppError('invalid_request', 'headed must be a boolean', { details: [{ path: '.headed', message: 'should be a boolean' }] });
  if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name.length > 200)) throw new AppError('invalid_request', 'name must be a string of at most 200 characters', { details: [{ path: '.name', message: 'should be a short string' }] });
}

export function checkStartUrl(raw: unknown): string {
  const bad = (message: string) => new AppError('invalid_request', `startUrl ${message}`, { details: [{ path: '.startUrl', message }] });
  if (typeof raw !== 'string' || raw === '') throw bad('is required (an absolute http(s) URL)');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad('should be an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(`should be http or https, not ${u.protocol.replace(':', '')}`);
  return u.toString();
}
