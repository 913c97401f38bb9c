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

  get crashed(): boolean {
    return this.controller.signal.aborted;
  }

  get released(): boolean {
    return this.releasing !== undefined;
  }

  onCrash(err: AppError): void {
    if (!this.releasing) this.controller.abort(err);
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
