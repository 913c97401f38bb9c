import type genericPool from 'generic-pool';
import type { Browser } from 'playwright';
import { AppError, isAppError, type Logger } from '../core/index.js';
import { launchedExecutable, reapProcessGroup } from './chromium-process.js';
import { acquireError, type FleetOptions } from './fleet-options.js';
import { PooledBrowser, type RetireReason, type Slot } from './pooled-browser.js';
import { findProcessByArg } from './processes.js';
import { gp, SlotEvictor } from './slot-evictor.js';

export type { Slot, FleetOptions };

/** A launch failure is handed to the waiter that caused it; staler ones are dropped, not reported to later callers. */
const FAILURE_TTL_MS = 1000;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The browsers of one mode (headless or headed) and the generic-pool of lease slots on them:
 * max × contextsPerBrowser slots, so generic-pool's acquire timeout, bounded wait queue and
 * testOnBorrow apply to each lease. A slot is created on a browser with room, else on a newly
 * launched one; a browser closes when its last slot goes.
 */
export class BrowserFleet {
  readonly browsers = new Set<PooledBrowser>();
  private pool: genericPool.Pool<Slot> | undefined;
  private seq = 0;
  private draining = false;
  private closeWaiters: Array<() => void> = [];
  private readonly log: Logger;
  lastLaunchError: AppError | undefined;

  constructor(private readonly o: FleetOptions) {
    this.log = o.logger;
  }

  start(): void {
    if (this.pool) return;
    const factory: genericPool.Factory<Slot> = {
      create: () => this.createSlot(),
      destroy: async (slot) => this.destroySlot(slot),
      validate: async (slot) => this.validate(slot),
    };
    const slots = this.o.max * this.o.contextsPerBrowser;
    this.pool = new gp.Pool(SlotEvictor, gp.Deque, gp.PriorityQueue, factory, {
      min: this.o.min * this.o.contextsPerBrowser,
      max: slots,
      maxWaitingClients: this.o.maxWaiting,
      acquireTimeoutMillis: this.o.acquireTimeoutMs,
      testOnBorrow: true,
      fifo: false, // reuse the most recent slot: fills browsers one by one, lets idle ones age out
      evictionRunIntervalMillis: 1000,
      numTestsPerEvictionRun: slots,
      softIdleTimeoutMillis: this.o.idleTimeoutMs,
      idleTimeoutMillis: Number.MAX_SAFE_INTEGER,
      autostart: false,
    });
    this.pool.on('factoryCreateError', (err) => this.log.error('slot create failed', { err: String(err) }));
    this.pool.on('factoryDestroyError', (err) => this.log.warn('slot destroy failed', { err: String(err) }));
    this.pool.start();
  }

  /** Resolves when the warm (min) browsers are launched or failed. */
  async warm(): Promise<void> {
    await Promise.allSettled([...this.browsers].map((b) => b.ready));
  }

  get stats() {
    const p = this.pool;
    const browsers = [...this.browsers].filter((b) => !b.gone).length;
    const size = p?.size ?? 0;
    const borrowed = p?.borrowed ?? 0;
    // generic-pool's clear() leaves destroyed slots in its available count.
    const available = Math.max(0, Math.min(p?.available ?? 0, size - borrowed));
    return { size, available, borrowed, pending: p?.pending ?? 0, max: p?.max ?? 0, browsers };
  }

  /** A slot on a healthy browser; AppError on launch failure, timeout or saturation. */
  async acquire(): Promise<Slot> {
    if (!this.pool) this.start();
    const pool = this.pool!;
    let slot: Slot;
    try {
      slot = await pool.acquire();
    } catch (err) {
      throw acquireError(err, this.o, this.lastLaunchError);
    }
    if (slot.error) {
      void pool.destroy(slot);
      throw slot.error;
    }
    const b = slot.browser;
    b.inUse++;
    b.leases++;
    if (b.leases >= this.o.retireAfterLeases) this.retire(b, 'leases');
    this.o.onChange();
    return slot;
  }

  /** Gives a slot back after its context closed; retires `browser` first when it misbehaved. */
  async release(slot: Slot, unhealthy = false): Promise<void> {
    const b = slot.browser;
    b.inUse--;
    if (unhealthy) this.retire(b, 'unhealthy');
    const pool = this.pool;
    if (pool?.isBorrowedResource(slot)) {
      if (b.usable && !this.draining) await pool.release(slot);
      else await pool.destroy(slot);
    }
    if (b.retired && b.inUse === 0) void this.closeBrowser(b);
    this.o.onChange();
  }

  /** No new leases on `b`; it closes when its last lease is released. */
  retire(b: PooledBrowser, reason: RetireReason): void {
    if (b.retired || b.crashed || b.gone) return;
    b.retired = reason;
    if (reason !== 'drain' && reason !== 'idle') this.o.metrics.retirements.inc({ mode: this.o.mode, reason });
    this.log.info('browser retired', { browser: b.id, reason, leases: b.leases, ageMs: b.ageMs() });
    if (b.inUse === 0) void this.closeBrowser(b);
  }

  /** Stops taking leases, waits for waiters to settle, closes every browser. Leases must be released first. */
  async drain(): Promise<void> {
    this.draining = true;
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of waiters) w();
    const pool = this.pool;
    if (pool) {
      await pool.drain();
      await pool.clear();
    }
    for (const b of this.browsers) this.retire(b, 'drain');
    await Promise.allSettled([...this.browsers].map((b) => this.closeBrowser(b)));
  }

  private validate(slot: Slot): boolean {
    if (slot.error) return Date.now() - (slot.failedAt ?? 0) < FAILURE_TTL_MS;
    const b = slot.browser;
    if (!b.usable) return false;
    // A fresh browser always serves one lease, so a max age shorter than a launch cannot loop.
    if (b.leases > 0 && b.ageMs() >= this.o.maxAgeMs) {
      this.retire(b, 'age');
      return false;
    }
    return true;
  }

  private async createSlot(): Promise<Slot> {
    let b = this.withRoom();
    // A retiring browser still runs: launching beside it would exceed `max`, so wait for one to go.
    while (!b && this.liveCount() >= this.o.max && !this.draining) {
      await new Promise<void>((resolve) => this.closeWaiters.push(resolve));
      b = this.withRoom();
    }
    if (this.draining) return { browser: b ?? this.placeholder(), error: new AppError('not_ready', 'browser pool is shutting down'), failedAt: Date.now() };
    b ??= this.launch();
    b.slots++;
    try {
      await b.ready;
      return { browser: b };
    } catch (err) {
      b.slots--;
      return { browser: b, error: err as AppError, failedAt: Date.now() };
    } finally {
      this.o.onChange();
    }
  }

  private destroySlot(slot: Slot): void {
    if (slot.error) return;
    const b = slot.browser;
    b.slots--;
    if (b.slots === 0) {
      if (!b.retired && !b.crashed) b.retired = 'idle';
      void this.closeBrowser(b);
    }
    this.o.onChange();
  }

  private withRoom(): PooledBrowser | undefined {
    for (const b of this.browsers) if (b.hasRoom(this.o.contextsPerBrowser)) return b;
    return undefined;
  }

  private liveCount(): number {
    let n = 0;
    for (const b of this.browsers) if (!b.gone) n++;
    return n;
  }

  private placeholder(): PooledBrowser {
    const b = new PooledBrowser(`${this.o.marker}-none`, Promise.reject(new AppError('not_ready', 'browser pool is shutting down')));
    b.gone = true;
    return b;
  }

  private launch(): PooledBrowser {
    const id = `${this.o.marker}-${this.o.mode}-${++this.seq}`;
    const ready = this.launchBrowser(id);
    const b = new PooledBrowser(id, ready);
    this.browsers.add(b);
    ready.then(
      (browser) => {
        b.browser = browser;
        b.pid = findProcessByArg(`--replayfarm-browser=${id}`);
        browser.on('disconnected', () => this.onDisconnected(b));
      },
      () => this.forget(b),
    );
    return b;
  }

  private async launchBrowser(id: string): Promise<Browser> {
    const started = Date.now();
    let exe = this.o.executablePath ?? 'chromium';
    try {
      const chromium = launchedExecutable({
        id,
        marker: this.o.marker,
        headed: this.o.mode === 'headed',
        executablePath: this.o.executablePath,
        display: this.o.display,
        timeoutMs: Math.max(this.o.acquireTimeoutMs, 10_000),
      });
      exe = chromium.exe;
      const browser = await chromium.launch();
      this.o.metrics.launches.inc({ mode: this.o.mode, outcome: 'ok' });
      this.lastLaunchError = undefined;
      this.log.info('browser launched', { browser: id, ms: Date.now() - started });
      return browser;
    } catch (err) {
      this.o.metrics.launches.inc({ mode: this.o.mode, outcome: 'failed' });
      const error = isAppError(err)
        ? err
        : new AppError('browser_error', `Chromium at ${exe} failed to launch: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, { cause: err });
      this.lastLaunchError = error;
      this.log.error('browser launch failed', { browser: id, code: error.code, err: error.message });
      throw error;
    }
  }

  private onDisconnected(b: PooledBrowser): void {
    if (b.closing || b.gone) return;
    b.crashed = true;
    this.o.metrics.crashes.inc({ mode: this.o.mode });
    this.log.warn('browser crashed', { browser: b.id, leasesInUse: b.inUse, ageMs: b.ageMs() });
    const err = new AppError('browser_crashed', `browser ${b.id} crashed or was killed; retry the operation`);
    for (const h of b.holders) h.onCrash(err);
    // Helpers of a killed browser usually follow it; make sure none is left behind.
    void this.reap(b).finally(() => this.forget(b));
  }

  private reap(b: PooledBrowser): Promise<void> {
    return reapProcessGroup(b.pid, b.id, this.log);
  }

  private forget(b: PooledBrowser): void {
    if (b.gone) return;
    b.gone = true;
    this.browsers.delete(b);
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of waiters) w();
    this.o.onChange();
  }

  private closeBrowser(b: PooledBrowser): Promise<void> {
    b.closing ??= (async () => {
      let browser: Browser | undefined;
      try {
        browser = await b.ready;
      } catch {
        return this.forget(b);
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          browser.close(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('close timed out')), CLOSE_TIMEOUT_MS))),
        ]);
      } catch (err) {
        this.log.warn('browser close failed', { browser: b.id, err: String(err) });
      } finally {
        clearTimeout(timer);
      }
      await this.reap(b);
      this.log.info('browser closed', { browser: b.id, reason: b.retired, leases: b.leases });
      this.forget(b);
    })();
    return b.closing;
  }
}
