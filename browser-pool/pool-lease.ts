import type { Browser, BrowserContext } from 'playwright';
import { AppError, newId } from '../core/index.js';
import type { CrashListener } from './pooled-browser.js';
import type { Lease } from './types.js';

const CONTEXT_CLOSE_TIMEOUT_MS = 10_000;

/** A lease handed out by BrowserPool; see the Lease interface for the contract. */
export class PoolLease implements Lease, CrashListener {
  readonly id = newId('lease');
  readonly startedAt = performance.now();
  private readonly controller = new AbortController();
  private releasing: Promise<void> | undefined;
  private expiry?: NodeJS.Timeout;

  constructor(
    readonly context: BrowserContext,
    readonly browser: Browser,
    readonly headed: boolean,
    /** Called once, after the context closed; `unhealthy` when closing it failed on a live browser. */
    private readonly onRelease: (lease: PoolLease, unhealthy: boolean) => Promise<void>,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The browser crashed under this lease (not: the lease was taken back, see expireAfter). */
  get crashed(): boolean {
    const s = this.controller.signal;
    return s.aborted && (s.reason as AppError | undefined)?.code !== 'lease_expired';
  }

  get released(): boolean {
    return this.releasing !== undefined;
  }

  /**
   * Also while a release is under way: a crash often closes the pages first, and whoever reacts to
   * that by releasing must still learn that the browser crashed (the context, and any HAR it was
   * to write, is gone). Once released the lease is no longer told.
   */
  onCrash(err: AppError): void {
    this.controller.abort(err);
  }

  /** Takes the lease back after `ms` if it is still held: aborts with `lease_expired`, then releases it. */
  expireAfter(ms: number, onExpire: () => void): void {
    this.expiry = setTimeout(() => {
      if (this.releasing) return;
      onExpire();
      this.controller.abort(new AppError('lease_expired', `browser lease ${this.id} was held longer than ${ms} ms and was taken back`));
      void this.release();
    }, ms);
    this.expiry.unref();
  }

  guard<T>(fn: () => Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.reject(signal.reason as AppError);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason as AppError);
      signal.addEventListener('abort', onAbort, { once: true });
      fn().then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          // Playwright may report the crash first ("Target closed"); the disconnect event follows.
          reject(signal.aborted || !this.browser.isConnected() ? (signal.reason ?? crashError(this.id)) : err);
        },
      );
    });
  }

  release(): Promise<void> {
    clearTimeout(this.expiry);
    this.releasing ??= this.close();
    return this.releasing;
  }

  private async close(): Promise<void> {
    let unhealthy = false;
    if (!this.crashed && this.browser.isConnected()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.context.close(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('context close timed out')), CONTEXT_CLOSE_TIMEOUT_MS))),
        ]);
      } catch {
        unhealthy = this.browser.isConnected();
      } finally {
        clearTimeout(timer);
      }
    }
    await this.onRelease(this, unhealthy);
  }
}

function crashError(leaseId: string): AppError {
  return new AppError('browser_crashed', `the browser of lease ${leaseId} crashed or was killed; retry the operation`);
}
