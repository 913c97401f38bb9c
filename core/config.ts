import { hasHashTag, isClusterUrl } from './redis-url.js';

/**
 * Configuration, read from environment variables once at start-up (12-factor) and validated.
 * A bad value stops start-up with a ConfigError that names the variable.
 * Every variable is listed in CONFIG_VARS (which the README table mirrors).
 */
export interface Config {
  host: string;
  port: number;
  redisUrl: string;
  keyPrefix: string;
  apiKeys: string[];
  logLevel: 'error' | 'warn' | 'info' | 'http' | 'verbose' | 'debug' | 'silly';
  logFormat: 'auto' | 'json' | 'pretty';
  bodyLimitBytes: number;
  harLimitBytes: number;
  /** Worker threads that parse, validate and learn HAR uploads off the API's event loop. */
  harIngestThreads: number;
  poolMin: number;
  poolMax: number;
  contextsPerBrowser: number;
  poolAcquireTimeoutMs: number;
  poolMaxWaiting: number;
  poolRetireAfterLeases: number;
  poolMaxAgeMs: number;
  poolMaxLeaseMs: number;
  browserExecutable: string | undefined;
  /** Loopback targets (127.0.0.0/8, ::1) may be replayed against. */
  allowLoopback: boolean;
  /** Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) may be replayed against. */
  allowPrivate: boolean;
  /** Recording browsers may open loopback and private addresses whatever allowLoopback/allowPrivate say (metadata and link-local never). */
  recordingAllowLocal: boolean;
  /** 32-byte key (hex or base64) for AES-256-GCM encryption of stored secrets. */
  secretKey: string | undefined;
  recordingIdleTimeoutMs: number;
  recordingMaxDurationMs: number;
  recordingMaxConcurrent: number;
  recordingLivenessMs: number;
  stepTimeoutMs: number;
  runDeadlineMs: number;
  maxResponseBytes: number;
  /** Consecutive transient failures of an origin that open its circuit. */
  breakerFailures: number;
  /** First open period of a circuit (ms); doubled by each failed trial. */
  breakerResetMs: number;
  /** Longest open period of a circuit (ms). */
  breakerMaxResetMs: number;
  workerConcurrency: number;
  /** Port of a `replayfarm worker`'s own /healthz, /readyz and /metrics listener (0 = none). */
  workerHttpPort: number;
  workerLockMs: number;
  workerStalledCheckMs: number;
  workerMaxStalled: number;
  queueMaxWaiting: number;
  workflowMaxConcurrency: number;
  workflowMaxPerMinute: number;
  runHistoryLimit: number;
  webhookSecret: string | undefined;
  shutdownTimeoutMs: number;
}

export interface ConfigVar {
  env: string;
  key: keyof Config;
  default: string;
  doc: string;
  parse: (raw: string) => unknown;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => (raw: string) => {
  if (!/^\d+$/.test(raw.trim())) throw new Error(`expected a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new Error(`expected a number from ${min} to ${max}, got ${n}`);
  return n;
};
const bool = (raw: string) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new Error(`expected true or false, got "${raw}"`);
};
const oneOf =
  <T extends string>(...values: T[]) =>
  (raw: string) => {
    if (!values.includes(raw as T)) throw new Error(`expected one of ${values.join(', ')}, got "${raw}"`);
    return raw;
  };
const str = (raw: string) => raw;
const optional = (raw: string) => (raw === '' ? undefined : raw);
const list = (raw: string) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Parses "1mb", "50MB", "512kb", "1048576" into bytes. */
export function parseBytes(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) throw new Error(`expected a size like 1mb or 512kb, got "${raw}"`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = unit === 'gb' ? 1024 ** 3 : unit === 'mb' ? 1024 ** 2 : unit === 'kb' ? 1024 : 1;
  return Math.floor(Number(m[1]) * mult);
}

const redisUrl = (raw: string) => {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`expected a redis:// URL, got "${raw}"`);
  }
  if (!['redis:', 'rediss:', 'redis+cluster:', 'rediss+cluster:'].includes(u.protocol)) throw new Error(`expected a redis://, rediss:// or redis+cluster:// URL, got "${raw}"`);
  return raw;
};

const secretKey = (raw: string) => {
  if (raw === '') return undefined;
  const buf = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (buf.length !== 32) throw new Error('expected 32 bytes as 64 hex characters or base64');
  return raw;
};

export const CONFIG_VARS: ConfigVar[] = [
  { env: 'HOST', key: 'host', default: '127.0.0.1', doc: 'Address the API listens on', parse: str },
  { env: 'PORT', key: 'port', default: '3000', doc: 'Port the API listens on (0 = any free port)', parse: int(0, 65535) },
  { env: 'REDIS_URL', key: 'redisUrl', default: 'redis://127.0.0.1:6379', doc: 'Redis for storage and the run queue. A Redis Cluster: `redis+cluster://host:port` (`rediss+cluster://` for TLS) naming any one of its nodes; `KEY_PREFIX` must then hold a hash tag such as `{rf}:`', parse: redisUrl },
  { env: 'KEY_PREFIX', key: 'keyPrefix', default: 'rf:', doc: 'Prefix of every Redis key and queue name. On a Redis Cluster it must contain a hash tag (`{rf}:`): every key then shares one slot, as the queue\'s scripts need', parse: str },
  { env: 'API_KEYS', key: 'apiKeys', default: '', doc: 'Comma-separated API keys; when set, every /v1 call needs `Authorization: Bearer <key>`', parse: list },
  { env: 'LOG_LEVEL', key: 'logLevel', default: 'info', doc: 'error, warn, info, http, verbose, debug', parse: oneOf('error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly') },
  { env: 'LOG_FORMAT', key: 'logFormat', default: 'auto', doc: 'json (one JSON object a line), pretty, or auto (pretty on a TTY)', parse: oneOf('auto', 'json', 'pretty') },
  { env: 'BODY_LIMIT', key: 'bodyLimitBytes', default: '1mb', doc: 'Largest JSON request body (except HAR uploads)', parse: parseBytes },
  { env: 'HAR_LIMIT', key: 'harLimitBytes', default: '50mb', doc: 'Largest HAR upload (after gunzip)', parse: parseBytes },
  { env: 'HAR_INGEST_THREADS', key: 'harIngestThreads', default: '1', doc: "Worker threads that decode, validate and learn HAR uploads, off the API's event loop (uploads beyond them wait their turn)", parse: int(1, 16) },
  { env: 'POOL_MIN', key: 'poolMin', default: '0', doc: 'Browsers kept warm at all times', parse: int(0, 64) },
  { env: 'POOL_MAX', key: 'poolMax', default: '2', doc: 'Most browsers launched at once', parse: int(1, 64) },
  { env: 'POOL_CONTEXTS_PER_BROWSER', key: 'contextsPerBrowser', default: '4', doc: 'Concurrent leases (contexts) per browser', parse: int(1, 64) },
  { env: 'POOL_ACQUIRE_TIMEOUT_MS', key: 'poolAcquireTimeoutMs', default: '30000', doc: 'Longest wait for a lease before `pool_timeout`', parse: int(100) },
  { env: 'POOL_MAX_WAITING', key: 'poolMaxWaiting', default: '16', doc: 'Lease requests allowed to wait; past it `pool_exhausted` (503)', parse: int(0) },
  { env: 'POOL_RETIRE_AFTER_LEASES', key: 'poolRetireAfterLeases', default: '100', doc: 'A browser is replaced after this many leases', parse: int(1) },
  { env: 'POOL_MAX_AGE_MS', key: 'poolMaxAgeMs', default: '1800000', doc: 'A browser is replaced after this age', parse: int(1000) },
  { env: 'POOL_MAX_LEASE_MS', key: 'poolMaxLeaseMs', default: '0', doc: 'A browser lease held longer than this is taken back (`lease_expired`, its context closed), so a leaked lease cannot keep its slot. 0 = the longer of `RECORDING_MAX_DURATION_MS` and `RUN_DEADLINE_MS`, plus a minute', parse: int(0) },
  { env: 'BROWSER_EXECUTABLE', key: 'browserExecutable', default: '', doc: "Chromium to launch; default: Playwright's browser, then /usr/bin/chromium", parse: optional },
  { env: 'ALLOW_LOOPBACK_TARGETS', key: 'allowLoopback', default: 'false', doc: 'Let replays contact 127.0.0.0/8 and ::1', parse: bool },
  { env: 'ALLOW_PRIVATE_TARGETS', key: 'allowPrivate', default: 'false', doc: 'Let replays contact private ranges (10/8, 172.16/12, 192.168/16, fc00::/7). Link-local and metadata addresses are always refused', parse: bool },
  { env: 'RECORDING_ALLOW_LOCAL_TARGETS', key: 'recordingAllowLocal', default: 'true', doc: 'Let recording browsers open loopback and private addresses (recording an app on localhost). false: recordings follow ALLOW_LOOPBACK_TARGETS and ALLOW_PRIVATE_TARGETS. Link-local and cloud metadata addresses are always refused', parse: bool },
  { env: 'SECRET_KEY', key: 'secretKey', default: '', doc: 'AES-256-GCM key for stored secrets (64 hex chars). Unset: a key is generated once and kept in Redis (development only)', parse: secretKey },
  { env: 'RECORDING_IDLE_TIMEOUT_MS', key: 'recordingIdleTimeoutMs', default: '300000', doc: 'A recording with no activity for this long is stopped and saved', parse: int(1000) },
  { env: 'RECORDING_MAX_DURATION_MS', key: 'recordingMaxDurationMs', default: '1800000', doc: 'Longest recording', parse: int(1000) },
  { env: 'RECORDING_LIVENESS_MS', key: 'recordingLivenessMs', default: '30000', doc: 'An open recording whose process stopped (crash, kill) for this long is marked `failed` (`recording_failed`) by any API process', parse: int(500) },
  { env: 'RECORDING_MAX_CONCURRENT', key: 'recordingMaxConcurrent', default: '4', doc: 'Recordings open at once; past it `too_many_recordings` (429)', parse: int(1) },
  { env: 'STEP_TIMEOUT_MS', key: 'stepTimeoutMs', default: '15000', doc: 'Timeout of one HTTP step', parse: int(100) },
  { env: 'RUN_DEADLINE_MS', key: 'runDeadlineMs', default: '120000', doc: 'Deadline of a whole run, browser fallback included', parse: int(1000) },
  { env: 'MAX_RESPONSE_BYTES', key: 'maxResponseBytes', default: '10mb', doc: 'Largest response body a step reads', parse: parseBytes },
  { env: 'BREAKER_FAILURES', key: 'breakerFailures', default: '5', doc: 'Consecutive transient failures (connection refused/reset, timeouts, 5xx) of one origin that open its circuit: its runs then fail fast with `circuit_open` (503, Retry-After)', parse: int(1, 1000) },
  { env: 'BREAKER_RESET_MS', key: 'breakerResetMs', default: '5000', doc: 'How long an open circuit fails fast before the next run is its trial; runs that come during the trial wait for it. Each failed trial doubles it', parse: int(0) },
  { env: 'BREAKER_MAX_RESET_MS', key: 'breakerMaxResetMs', default: '60000', doc: 'Longest open period of a circuit (failed trials double `BREAKER_RESET_MS` up to this); a success brings it back to `BREAKER_RESET_MS`', parse: int(0) },
  { env: 'WORKER_CONCURRENCY', key: 'workerConcurrency', default: '8', doc: 'Runs one worker process executes at once', parse: int(1, 1000) },
  { env: 'WORKER_HTTP_PORT', key: 'workerHttpPort', default: '0', doc: 'Port on which `replayfarm worker` serves /healthz, /readyz and /metrics on HOST (0 = no listener; the image sets 3001). `serve` reports its worker on the API\'s own /metrics', parse: int(0, 65535) },
  { env: 'WORKER_LOCK_MS', key: 'workerLockMs', default: '10000', doc: "A running run's lock lives this long unless its worker renews it (every half); a run whose worker died is taken up again by another worker about this long after", parse: int(500) },
  { env: 'WORKER_STALLED_CHECK_MS', key: 'workerStalledCheckMs', default: '5000', doc: 'How often each worker looks for runs whose worker died', parse: int(100) },
  { env: 'WORKER_MAX_STALLED', key: 'workerMaxStalled', default: '1', doc: 'Times a run is taken up again after its worker died before it is given up (reported `outcome_unknown` when it had sent a state-changing step)', parse: int(0, 100) },
  { env: 'QUEUE_MAX_WAITING', key: 'queueMaxWaiting', default: '1000', doc: 'Queued runs allowed; past it 429 with Retry-After', parse: int(1) },
  { env: 'WORKFLOW_MAX_CONCURRENCY', key: 'workflowMaxConcurrency', default: '16', doc: 'Runs of one workflow queued or running at once; past it 429', parse: int(1) },
  { env: 'WORKFLOW_MAX_PER_MINUTE', key: 'workflowMaxPerMinute', default: '0', doc: 'Runs of one workflow accepted per minute (0 = no limit); past it 429', parse: int(0) },
  { env: 'RUN_HISTORY_LIMIT', key: 'runHistoryLimit', default: '200', doc: 'Runs kept per workflow (older ones are deleted)', parse: int(1) },
  { env: 'WEBHOOK_SECRET', key: 'webhookSecret', default: '', doc: 'HMAC-SHA256 key that signs webhook calls (X-Replayfarm-Signature)', parse: optional },
  { env: 'SHUTDOWN_TIMEOUT_MS', key: 'shutdownTimeoutMs', default: '10000', doc: 'On SIGTERM, longest wait for in-flight requests and runs', parse: int(0) },
];

/** Reads and validates the configuration; `overrides` win over the environment (used by tests). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const out: Record<string, unknown> = {};
  for (const v of CONFIG_VARS) {
    const raw = env[v.env] ?? v.default;
    try {
      out[v.key] = v.parse(raw);
    } catch (err) {
      throw new ConfigError(v.env, (err as Error).message);
    }
  }
  const cfg = { ...(out as unknown as Config), ...overrides };
  // bull and our Lua scripts touch several keys at once: on a cluster they must share a slot
  if (isClusterUrl(cfg.redisUrl) && !hasHashTag(cfg.keyPrefix)) {
    throw new ConfigError('KEY_PREFIX', `"${cfg.keyPrefix}" has no hash tag, which a Redis Cluster needs (REDIS_URL is a redis+cluster:// URL): set KEY_PREFIX={rf}: or another prefix with {…}`);
  }
  if (cfg.poolMin > cfg.poolMax) throw new ConfigError('POOL_MIN', `must not exceed POOL_MAX (${cfg.poolMax})`);
  if (cfg.breakerMaxResetMs < cfg.breakerResetMs) throw new ConfigError('BREAKER_MAX_RESET_MS', `must be at least BREAKER_RESET_MS (${cfg.breakerResetMs})`);
  // history is trimmed on enqueue: a limit below the runs one workflow may have in flight would drop queued runs
  if (cfg.runHistoryLimit < cfg.workflowMaxConcurrency) throw new ConfigError('RUN_HISTORY_LIMIT', `must be at least WORKFLOW_MAX_CONCURRENCY (${cfg.workflowMaxConcurrency})`);
  return cfg;
}
