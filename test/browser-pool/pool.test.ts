import { expect } from 'chai';
import { AppError } from '../../core/index.js';
import { BrowserPool, poolProcesses } from '../../browser-pool/index.js';
import { eventually, groupAlive, metricValue, quiet, startSite } from './helpers.js';

describe('browser-pool: leases on real Chromium', function () {
  this.timeout(120_000);
  let site: Awaited<ReturnType<typeof startSite>>;
  const pools: BrowserPool[] = [];

  before(async () => {
    site = await startSite();
  });

  after(async () => {
    await Promise.allSettled(pools.map((p) => p.drain()));
    await site.close();
  });

  function newPool(opts: Partial<ConstructorParameters<typeof BrowserPool>[0]> = {}) {
    const { logger, registry } = quiet();
    const pool = new BrowserPool({ logger, registry, ...opts });
    pools.push(pool);
    return { pool, registry };
  }

  it('isolates leases: a cookie set in one lease is absent in the next, on the same browser', async () => {
    const { pool, registry } = newPool({ max: 1 });
    await pool.start();
    const first = await pool.lease();
    expect(await metricValue(registry, 'replayfarm_pool_borrowed', { mode: 'headless' })).to.equal(1);
    const page = await first.context.newPage();
    await page.goto(`${site.url}/set`);
    await page.goto(`${site.url}/`);
    expect(await page.textContent('body')).to.equal('cookie=sid=abc123');
    const browser = first.browser;
    await first.release();
    await first.release(); // idempotent

    const second = await pool.lease();
    expect(second.browser).to.equal(browser);
    expect(second.id).to.not.equal(first.id);
    expect(await second.context.cookies()).to.deep.equal([]);
    const page2 = await second.context.newPage();
    await page2.goto(`${site.url}/`);
    expect(await page2.textContent('body')).to.equal('cookie=');
    await second.release();
    expect(pool.stats()).to.include({ borrowed: 0, browsers: 1 });
    expect(await metricValue(registry, 'replayfarm_pool_borrowed', { mode: 'headless' })).to.equal(0);
    const durations = (await registry.getSingleMetric('replayfarm_pool_lease_duration_seconds')!.get()).values;
    expect(durations.find((v) => (v as { metricName?: string }).metricName === 'replayfarm_pool_lease_duration_seconds_count')?.value).to.equal(2);
  });

  it('retires a browser past maxAgeMs: its next lease lands on a new browser', async () => {
    const { pool, registry } = newPool({ max: 1, maxAgeMs: 1 });
    const first = await pool.lease();
    await first.release();
    const second = await pool.lease();
    expect(second.browser).to.not.equal(first.browser);
    expect(first.browser.isConnected()).to.equal(false);
    expect(await metricValue(registry, 'replayfarm_browser_retirements_total', { reason: 'age' })).to.equal(1);
    await second.release();
  });

  it('shares one browser between contextsPerBrowser leases, then launches a second', async () => {
    const { pool } = newPool({ max: 2, contextsPerBrowser: 2 });
    const leases = [await pool.lease(), await pool.lease()];
    expect(leases[0]!.browser).to.equal(leases[1]!.browser);
    leases.push(await pool.lease());
    expect(leases[2]!.browser).to.not.equal(leases[0]!.browser);
    expect(pool.stats()).to.include({ borrowed: 3, browsers: 2, max: 4 });
    await Promise.all(leases.map((l) => l.release()));
    expect(pool.stats().borrowed).to.equal(0);
  });

  it('a SIGKILLed browser fails its lease with browser_crashed, is evicted, and the next lease works', async () => {
    const { pool, registry } = newPool({ max: 1 });
    const lease = await pool.lease({ viewport: { width: 800, height: 600 } });
    const page = await lease.context.newPage();
    await page.goto(`${site.url}/`);
    const mains = poolProcesses(pool.marker).filter((p) => p.main);
    expect(mains).to.have.length(1);
    const { pid, pgid } = mains[0]!;

    const aborted = new Promise((r) => lease.signal.addEventListener('abort', r, { once: true }));
    process.kill(pid, 'SIGKILL');
    await aborted;
    expect(lease.crashed).to.equal(true);
    expect(lease.signal.reason).to.be.instanceOf(AppError).with.property('code', 'browser_crashed');
    const err = await lease.guard(() => page.goto(`${site.url}/`)).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(AppError);
    expect((err as AppError).code).to.equal('browser_crashed');
    expect((err as AppError).retryable).to.equal(true);
    await lease.release();
    expect(await metricValue(registry, 'replayfarm_browser_crashes_total')).to.equal(1);
    await eventually(() => !groupAlive(pgid), 20_000, 'the killed browser processes to exit');

    const next = await pool.lease();
    const page2 = await next.context.newPage();
    await page2.goto(`${site.url}/`);
    expect(await page2.textContent('body')).to.equal('cookie=');
    expect(next.crashed).to.equal(false);
    expect(pool.stats()).to.include({ browsers: 1, borrowed: 1 });
    await next.release();
    expect(await metricValue(registry, 'replayfarm_browser_launches_total', { outcome: 'ok' })).to.equal(2);
  });

  it('300 leases with retirement at 50: browsers are replaced and no process is left behind', async function () {
    const { pool, registry } = newPool({ max: 2, contextsPerBrowser: 2, retireAfterLeases: 50 });
    expect(poolProcesses(pool.marker)).to.have.length(0);
    const groups = new Set<number>();
    let maxBrowsers = 0;
    const worker = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const lease = await pool.lease();
        try {
          if (i % 50 === 0) {
            const page = await lease.context.newPage();
            await page.goto(`${site.url}/`);
            for (const p of poolProcesses(pool.marker)) if (p.main) groups.add(p.pgid);
          }
        } finally {
          await lease.release();
        }
        maxBrowsers = Math.max(maxBrowsers, pool.stats().browsers);
      }
    };
    await Promise.all([worker(150), worker(150)]);
    expect(await metricValue(registry, 'replayfarm_browser_retirements_total', { reason: 'leases' })).to.equal(6);
    expect(await metricValue(registry, 'replayfarm_browser_launches_total', { outcome: 'ok' })).to.equal(6);
    expect(maxBrowsers).to.be.at.most(2);
    // Every browser reached 50 leases: all retired and closed without a drain.
    await eventually(() => pool.stats().browsers === 0, 30_000, 'retired browsers to close');
    await eventually(() => poolProcesses(pool.marker).length === 0, 30_000, 'pool processes to exit');
    expect(groups.size).to.be.greaterThan(1);
    await eventually(() => [...groups].every((g) => !groupAlive(g)), 30_000, 'every browser process group to exit');
  });

  it('drain closes every browser, ends leases in use, and refuses new leases', async () => {
    const { pool } = newPool({ max: 2, min: 1 });
    await pool.start();
    expect(pool.stats().browsers).to.equal(1);
    const held = await pool.lease();
    const page = await held.context.newPage();
    await page.goto(`${site.url}/`);
    const groups = poolProcesses(pool.marker).filter((p) => p.main).map((p) => p.pgid);
    expect(groups).to.have.length(1);
    await pool.drain();
    expect(pool.stats()).to.include({ browsers: 0, borrowed: 0 });
    expect(poolProcesses(pool.marker)).to.have.length(0);
    await eventually(() => !groupAlive(groups[0]!), 10_000, 'browser process group to exit');
    const err = await pool.lease().then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(AppError).with.property('code', 'not_ready');
    expect((await pool.check()).ok).to.equal(false);
  });
});
