import type { BrowserContextOptions } from 'playwright';
import { AppError, isAppError, type Logger } from '../core/index.js';
import { BrowserFleet, type Slot } from './browser-fleet.js';
import { EgressProxy } from './egress-proxy.js';
import { resolveExecutable } from './launch-options.js';
import { PoolLease } from './pool-lease.js';
import { poolMetrics, type Mode, type PoolMetrics } from './pool-metrics.js';
import { resolvePoolOptions, type ResolvedPoolOptions } from './browser-pool-options.js';
import type { BrowserPoolOptions, Lease, LeaseOptions, PoolStats } from './types.js';
import { XvfbDisplay } from './xvfb-display.js';

/**
 * Pooled Playwright browsers; a lease is a fresh isolated BrowserContext on one of them.
 * Headless and headed browsers live in separate fleets (headed ones on DISPLAY, or on an Xvfb
 * started on first use). See BrowserPoolOptions for limits, retirement and timeouts.
 */
export class BrowserPool {
  private readonly o: ResolvedPoolOptions;
  private readonly log: Logger;
  private readonly metrics: PoolMetrics;
  private readonly fleets = new Map<Mode, BrowserFleet>();
  private headedFleet: Promise<BrowserFleet> | undefined;
  private readonly xvfb: XvfbDisplay;
  private readonly leases = new Set<PoolLease>();
  private draining: Promise<void> | undefined;
  /** Mean lease duration (s), for Retry-After when saturated. */
  private meanLeaseSeconds = 1;

  constructor(opts: BrowserPoolOptions) {
    this.o = resolvePoolOptions(opts);
    this.log = this.o.logger.child({ module: 'browser-pool' });
    this.metrics = poolMetrics(this.o.registry);
    this.xvfb = new XvfbDisplay({ logger: this.log });
  }

  /** The marker on this pool's browser processes (see poolProcesses()). */
  get marker(): string {
    return this.o.marker;
  }

  /** Starts the headless fleet and launches `min` warm browsers; launch failures are logged and reported by check(), not thrown. */
  async start(): Promise<void> {
    if (this.fleets.has('headless')) return;
    const fleet = this.fleet('headless');
    fleet.start();
    await fleet.warm();
    this.updateGauges();
  }

  async lease(opts: LeaseOptions = {}): Promise<Lease> {
    const mode: Mode = opts.headed ? 'headed' : 'headless';
    const started = performance.now();
    try {
      if (this.draining) throw new AppError('not_ready', 'browser pool is shutting down');
      const fleet = mode === 'headed' ? await this.headed() : this.fleet('headless');
      const slot = await fleet.acquire();
      this.updateGauges();
      const lease = await this.open(fleet, slot, opts);
      this.metrics.leaseWait.observe({ mode }, (performance.now() - started) / 1000);
      return lease;
    } catch (err) {
      const error = isAppError(err) ? err : new AppError('browser_error', `lease failed: ${String(err)}`, { cause: err });
      this.metrics.leaseFailures.inc({ mode, code: error.code });
      if (error.code === 'pool_exhausted') throw new AppError('pool_exhausted', error.message, { retryAfter: Math.max(1, Math.min(30, Math.ceil(this.meanLeaseSeconds))) });
      throw error;
    } finally {
      this.updateGauges();
    }
  }

  stats(): PoolStats {
    const total: PoolStats = { size: 0, available: 0, borrowed: 0, pending: 0, max: 0, browsers: 0 };
    for (const f of this.fleets.values()) {
      const s = f.stats;
      for (const k of Object.keys(total) as Array<keyof PoolStats>) total[k] += s[k];
    }
    return total;
  }

  /** For /readyz: a Chromium is found, the last launch did not fail, the pool is not shutting down. */
  async check(): Promise<{ ok: boolean; message: string }> {
    if (this.draining) return { ok: false, message: 'browser pool is shutting down' };
    try {
      resolveExecutable(this.o.executablePath);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
    for (const [mode, f] of this.fleets) {
      if (f.lastLaunchError) return { ok: false, message: `${mode} browser launch failing: ${f.lastLaunchError.message}` };
    }
    const s = this.stats();
    return { ok: true, message: `${s.browsers} browser(s), ${s.borrowed} lease(s) in use, ${s.pending} waiting` };
  }

  /** Releases every lease, closes every browser, stops Xvfb. Later lease() calls fail with not_ready. */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      this.log.info('draining', { leases: this.leases.size });
      await Promise.allSettled([...this.leases].map((l) => l.release()));
      if (this.headedFleet) await this.headedFleet.catch(() => undefined);
      await Promise.allSettled([...this.fleets.values()].map((f) => f.drain()));
      await this.xvfb.stop();
      this.updateGauges();
      this.log.info('drained');
    })();
    return this.draining;
  }

  private fleet(mode: Mode, display?: string): BrowserFleet {
    let f = this.fleets.get(mode);
    if (!f) {
      const o = this.o;
      f = new BrowserFleet({
        mode,
        min: mode === 'headless' ? o.min : 0,
        max: o.max,
        contextsPerBrowser: o.contextsPerBrowser,
        acquireTimeoutMs: o.acquireTimeoutMs,
        maxWaiting: o.maxWaiting,
        retireAfterLeases: o.retireAfterLeases,
        maxAgeMs: o.maxAgeMs,
        idleTimeoutMs: o.idleTimeoutMs,
        executablePath: o.executablePath,
        marker: o.marker,
        display,
        logger: this.log.child({ mode }),
        metrics: this.metrics,
        onChange: () => this.updateGauges(),
      });
      this.fleets.set(mode, f);
    }
    return f;
  }

  private headed(): Promise<BrowserFleet> {
    this.headedFleet ??= (async () => {
      const display = process.env.DISPLAY || (await this.xvfb.start());
      const f = this.fleet('headed', display);
      f.start();
      return f;
    })().catch((err: unknown) => {
      this.headedFleet = undefined;
      throw err;
    });
    return this.headedFleet;
  }

  private async open(fleet: BrowserFleet, slot: Slot, opts: LeaseOptions): Promise<PoolLease> {
    const pooled = slot.browser;
    const browser = pooled.browser!;
    if (this.draining) {
      await fleet.release(slot);
      throw new AppError('not_ready', 'browser pool is shutting down');
    }
    const ctxOpts: BrowserContextOptions = {};
    if (opts.recordHar) ctxOpts.recordHar = { path: opts.recordHar.path, content: opts.recordHar.content, mode: opts.recordHar.mode };
    if (opts.storageState !== undefined) ctxOpts.storageState = opts.storageState;
    if (opts.viewport !== undefined) ctxOpts.viewport = opts.viewport;
    if (opts.userAgent !== undefined) ctxOpts.userAgent = opts.userAgent;
    let proxy: EgressProxy | undefined;
    let context;
    try {
      if (opts.egress) {
        proxy = new EgressProxy({ ...opts.egress, logger: this.log });
        // `<-loopback>`: Chromium otherwise goes direct to localhost, 127.0.0.0/8, [::1] and 169.254/16, metadata included.
        ctxOpts.proxy = { server: await proxy.listen(), bypass: '<-loopback>' };
      }
      context = await browser.newContext(ctxOpts);
    } catch (err) {
      await proxy?.close();
      const crashed = pooled.crashed || !browser.isConnected();
      await fleet.release(slot, !crashed);
      if (crashed) throw new AppError('browser_crashed', `browser ${pooled.id} crashed while opening a context; retry`, { cause: err });
      // storageState from a missing file and the like are the caller's mistake, not the browser's.
      throw new AppError('browser_error', `could not open a browser context: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    const lease = new PoolLease(context, browser, fleet === this.fleets.get('headed'), async (l, unhealthy) => {
      pooled.holders.delete(l);
      this.leases.delete(l);
      const seconds = (performance.now() - l.startedAt) / 1000;
      this.metrics.leaseDuration.observe({ mode: l.headed ? 'headed' : 'headless' }, seconds);
      this.meanLeaseSeconds = this.meanLeaseSeconds * 0.9 + seconds * 0.1;
      await proxy?.close();
      await fleet.release(slot, unhealthy);
      this.updateGauges();
    });
    if (this.o.maxLeaseMs > 0) {
      lease.expireAfter(this.o.maxLeaseMs, () => {
        this.metrics.leasesExpired.inc({ mode: lease.headed ? 'headed' : 'headless' });
        this.log.warn('lease held too long: taken back', { leaseId: lease.id, maxLeaseMs: this.o.maxLeaseMs });
      });
    }
    pooled.holders.add(lease);
    this.leases.add(lease);
    // The browser may have crashed while the context opened.
    if (pooled.crashed) lease.onCrash(new AppError('browser_crashed', `browser ${pooled.id} crashed; retry`));
    return lease;
  }

  private updateGauges(): void {
    for (const mode of ['headless', 'headed'] as const) {
      const f = this.fleets.get(mode);
      const s = f?.stats ?? { size: 0, available: 0, borrowed: 0, pending: 0, browsers: 0 };
      this.metrics.size.set({ mode }, s.size);
      this.metrics.available.set({ mode }, s.available);
      this.metrics.borrowed.set({ mode }, s.borrowed);
      this.metrics.pending.set({ mode }, s.pending);
      this.metrics.browsers.set({ mode }, s.browsers);
    }
  }
}
