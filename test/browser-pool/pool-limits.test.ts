import { expect } from 'chai';
import { AppError } from '../../core/index.js';
import { BrowserPool, poolProcesses } from '../../browser-pool/index.js';
import { metricValue, quiet } from './helpers.js';

async function failure(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected a rejection').to.be.instanceOf(AppError);
  return err as AppError;
}

describe('browser-pool: limits and failures', function () {
  this.timeout(90_000);
  const pools: BrowserPool[] = [];
  after(async () => {
    await Promise.allSettled(pools.map((p) => p.drain()));
  });
  function newPool(opts: Partial<ConstructorParameters<typeof BrowserPool>[0]> = {}) {
    const { logger, registry } = quiet();
    const pool = new BrowserPool({ logger, registry, ...opts });
    pools.push(pool);
    return { pool, registry };
  }

  it('validates its options once, at construction', () => {
    const { logger, registry } = quiet();
    expect(() => new BrowserPool({ logger, registry, max: 0 })).to.throw(/max/);
    expect(() => new BrowserPool({ logger, registry, min: 3, max: 2 })).to.throw(/min/);
    expect(() => new BrowserPool({ logger, registry, contextsPerBrowser: 1.5 })).to.throw(/contextsPerBrowser/);
    expect(() => new BrowserPool({ logger, registry, marker: 'a b' })).to.throw(/marker/);
    expect(() => new BrowserPool({ logger, registry, maxLeaseMs: -1 })).to.throw(/maxLeaseMs/);
  });

  it('a wrong executable path rejects lease() with browser_not_found naming the path, without waiting for the timeout', async () => {
    // A 10-minute acquire timeout: if the pool waited for it, mocha's timeout would fail this test.
    const { pool, registry } = newPool({ executablePath: '/nonexistent/chromium-xyz', acquireTimeoutMs: 600_000 });
    await pool.start();
    const errs = await Promise.all([failure(pool.lease()), failure(pool.lease()), failure(pool.lease())]);
    for (const err of errs) {
      expect(err.code).to.equal('browser_not_found');
      expect(err.message).to.include('/nonexistent/chromium-xyz').and.include('apt-get install -y chromium');
      expect(err.retryable).to.equal(true);
    }
    const check = await pool.check();
    expect(check.ok).to.equal(false);
    expect(check.message).to.include('/nonexistent/chromium-xyz');
    expect(pool.stats()).to.include({ borrowed: 0, pending: 0, browsers: 0 });
    expect(await metricValue(registry, 'replayfarm_pool_lease_failures_total', { code: 'browser_not_found' })).to.equal(3);
  });

  it('an executable that is not Chromium rejects with browser_error naming the path, never hangs', async () => {
    const { pool } = newPool({ executablePath: '/bin/false', acquireTimeoutMs: 600_000 });
    const err = await failure(pool.lease());
    expect(err.code).to.equal('browser_error');
    expect(err.message).to.include('/bin/false');
    expect((await pool.check()).message).to.include('/bin/false');
    expect(poolProcesses(pool.marker)).to.have.length(0);
  });

  it('saturation: past maxWaiting, lease() fails at once with pool_exhausted and a Retry-After; waiters get the next free slot', async () => {
    const { pool } = newPool({ max: 1, contextsPerBrowser: 1, maxWaiting: 1, acquireTimeoutMs: 600_000 });
    const held = await pool.lease();
    const waiting = pool.lease();
    expect(pool.stats()).to.include({ borrowed: 1, pending: 1, max: 1 });
    const err = await failure(pool.lease());
    expect(err.code).to.equal('pool_exhausted');
    expect(err.statusCode).to.equal(503);
    expect(err.retryAfter).to.be.a('number').and.to.be.at.least(1);
    await held.release();
    const second = await waiting;
    expect(second.browser).to.equal(held.browser);
    await second.release();
    expect(pool.stats()).to.include({ borrowed: 0, pending: 0 });
  });

  it('a full pool with room to wait rejects with pool_timeout after acquireTimeoutMs', async () => {
    // min: 1 so the browser is launched by start(), not inside the short acquire timeout.
    const { pool } = newPool({ min: 1, max: 1, contextsPerBrowser: 1, maxWaiting: 4, acquireTimeoutMs: 300 });
    await pool.start();
    const held = await pool.lease();
    const err = await failure(pool.lease());
    expect(err.code).to.equal('pool_timeout');
    expect(err.message).to.include('300 ms');
    expect(pool.stats().pending).to.equal(0);
    await held.release();
    const next = await pool.lease();
    await next.release();
  });

  it('takes back a lease held past maxLeaseMs: lease_expired, context closed, slot free for the next lease', async () => {
    const { pool, registry } = newPool({ max: 1, contextsPerBrowser: 1, maxWaiting: 1, acquireTimeoutMs: 30_000, maxLeaseMs: 1_500 });
    const leaked = await pool.lease();
    // Timed from the lease itself: opening the page may take a while on a loaded machine.
    const t = performance.now();
    const page = await leaked.context.newPage();
    // Someone waits for the only slot; the holder never releases it.
    const next = await pool.lease();
    expect(performance.now() - t).to.be.within(1_000, 10_000);
    expect(leaked.signal.aborted).to.equal(true);
    expect((leaked.signal.reason as AppError).code).to.equal('lease_expired');
    expect(leaked.crashed, 'taken back, not crashed').to.equal(false);
    expect(page.isClosed()).to.equal(true);
    const err = await failure(leaked.guard(() => page.title()));
    expect(err.code).to.equal('lease_expired');
    expect(err.statusCode).to.equal(503);
    expect(await metricValue(registry, 'replayfarm_pool_leases_expired_total')).to.equal(1);
    await leaked.release(); // a late release is harmless
    expect(pool.stats()).to.include({ borrowed: 1 });
    await next.release();
    expect(pool.stats()).to.include({ borrowed: 0 });
    // a lease released in time is never taken back
    const quick = await pool.lease();
    await quick.release();
    await new Promise((r) => setTimeout(r, 1_800));
    expect(await metricValue(registry, 'replayfarm_pool_leases_expired_total')).to.equal(1);
  });

  it('check() reports a healthy pool', async () => {
    const { pool } = newPool({ min: 1 });
    await pool.start();
    const check = await pool.check();
    expect(check).to.deep.include({ ok: true });
    expect(check.message).to.match(/1 browser/);
  });
});
