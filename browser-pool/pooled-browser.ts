import type { Browser } from 'playwright';
import type { AppError } from '../core/index.js';

export type RetireReason = 'leases' | 'age' | 'idle' | 'unhealthy' | 'drain';

/** Someone holding a lease on a browser, told when that browser crashes. */
export interface CrashListener {
  onCrash(err: AppError): void;
}

/**
 * One launched (or launching) browser of a fleet and its bookkeeping. `slots` counts the
 * generic-pool resources that point at it (idle or borrowed), `inUse` the borrowed ones.
 */
export class PooledBrowser {
  browser: Browser | undefined;
  /** Main process id (found by its `--replayfarm-browser=<id>` argument); its process group holds all its helpers. */
  pid: number | undefined;
  readonly launchedAt = Date.now();
  /** Leases handed out over its life (retirement counts these). */
  leases = 0;
  slots = 0;
  inUse = 0;
  retired: RetireReason | undefined;
  crashed = false;
  /** Close started by the pool; a disconnect after this is not a crash. */
  closing: Promise<void> | undefined;
  /** Gone: closed, crashed or failed to launch. */
  gone = false;
  readonly holders = new Set<CrashListener>();

  constructor(
    readonly id: string,
    readonly ready: Promise<Browser>,
  ) {
    // The launch outcome is consumed by slots; keep a failed launch from being an unhandled rejection.
    ready.catch(() => undefined);
  }

  /** Can take one more slot (a new lease may land here). */
  hasRoom(contextsPerBrowser: number): boolean {
    return !this.gone && !this.crashed && !this.retired && this.closing === undefined && this.slots < contextsPerBrowser;
  }

  /** Healthy and accepting leases. */
  get usable(): boolean {
    return !this.gone && !this.crashed && !this.retired && this.closing === undefined && this.browser?.isConnected() === true;
  }

  ageMs(now = Date.now()): number {
    return now - this.launchedAt;
  }
}

/** A generic-pool resource: the right to open one context on `browser`, or a launch failure to report. */
export interface Slot {
  browser: PooledBrowser;
  error?: AppError;
  failedAt?: number;
}
