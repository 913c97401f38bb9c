import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright';
import type { Logger, Registry } from '../core/index.js';
import type { EgressRules } from './egress-proxy-options.js';

/** Options of a BrowserPool; validated once by the constructor (schema and defaults: browser-pool-options.ts). */
export interface BrowserPoolOptions {
  /** Browsers kept warm (launched by start() and kept while idle). Default 0. */
  min?: number;
  /** Most browsers of one mode (headless, headed) launched at once. Default 2. */
  max?: number;
  /** Concurrent leases (contexts) on one browser. Default 4. */
  contextsPerBrowser?: number;
  /** Longest wait for a lease before `pool_timeout`; launch failures reject sooner. Default 30000. */
  acquireTimeoutMs?: number;
  /** Lease requests allowed to wait when every slot is taken; past it `pool_exhausted` at once. Default 16. */
  maxWaiting?: number;
  /** A browser takes no new lease after this many and closes when its last lease ends. Default 100. */
  retireAfterLeases?: number;
  /** Same, after this age in ms (long-lived browsers slow down). Default 1800000 (30 min). */
  maxAgeMs?: number;
  /** Idle browsers above `min` are closed after this many ms without a lease. Default 300000. */
  idleTimeoutMs?: number;
  /**
   * A lease held longer than this is taken back: its signal aborts with `lease_expired` and its
   * context is closed, so a lease that is never released (a bug, a hung holder) cannot keep its
   * slot for ever. Set it above the longest legitimate holder (recordings, browser runs). Default 0 = no limit.
   */
  maxLeaseMs?: number;
  /** Chromium to launch; default: see resolveExecutable(). */
  executablePath?: string;
  /**
   * Tag put on every browser's command line (`--replayfarm-pool=<marker>`) and environment
   * (`REPLAYFARM_POOL=<marker>`) so its processes can be found (poolProcesses(), tests, ops).
   * Default: a random `rf-…` id. Letters, digits, `-` and `_` only.
   */
  marker?: string;
  logger: Logger;
  registry: Registry;
}

/** What a lease's context is opened with. */
export interface LeaseOptions {
  /** A visible browser (real DISPLAY, else an Xvfb the pool starts). Default false. */
  headed?: boolean;
  /** Record the context's traffic as a HAR, written when the lease is released. */
  recordHar?: { path: string; content?: 'embed' | 'omit' | 'attach'; mode?: 'full' | 'minimal' };
  storageState?: BrowserContextOptions['storageState'];
  viewport?: { width: number; height: number } | null;
  userAgent?: string;
  /**
   * Sends every connection of the context (each redirect hop, subresources, fetch, iframes,
   * workers, WebSockets; loopback included) through a forward proxy of the lease's own, which
   * checks it with these rules before anything reaches the target, and closes with the lease.
   * route() is not asked about redirect hops: a policy that must hold goes here. Default: none
   * (the context connects directly, as before).
   */
  egress?: EgressRules;
}

/**
 * A fresh, isolated BrowserContext on a pooled browser. Always call release() (in a finally):
 * it closes the context whatever happened inside, which also writes `recordHar`.
 *
 * Crashes: when the browser disconnects during the lease (crash, SIGKILL, OOM), `signal` is
 * aborted with reason AppError('browser_crashed') (retryable), `crashed` turns true and guard()
 * rejects with that error. Playwright calls on the context then throw Playwright's own
 * "Target … closed" errors; run them through guard() to get the typed error instead.
 */
export interface Lease {
  id: string;
  context: BrowserContext;
  browser: Browser;
  headed: boolean;
  /**
   * Aborted with AppError('browser_crashed') when the browser disconnects before release() is done, or
   * with AppError('lease_expired') when the lease was held past the pool's maxLeaseMs (its context is then closed).
   */
  signal: AbortSignal;
  /** True once the browser crashed under this lease. */
  readonly crashed: boolean;
  /**
   * Runs fn and returns its result; rejects with AppError('browser_crashed') as soon as the
   * browser crashes (before or while fn runs), without waiting for fn to notice.
   */
  guard<T>(fn: () => Promise<T>): Promise<T>;
  /** Idempotent; closes the context (which writes recordHar) and gives the slot back. Never throws. */
  release(): Promise<void>;
}

export interface PoolStats {
  /** Lease slots (contexts) the pool holds, counting slots being created. */
  size: number;
  /** Slots free for a lease right now. */
  available: number;
  /** Leases in use. */
  borrowed: number;
  /** lease() calls waiting for a slot. */
  pending: number;
  /** Most lease slots: max × contextsPerBrowser, per mode in use. */
  max: number;
  /** Browsers running or launching (retiring ones included). */
  browsers: number;
}
