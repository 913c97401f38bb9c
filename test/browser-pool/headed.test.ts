import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { BrowserPool, poolProcesses } from '../../browser-pool/index.js';
import { eventually, processArgs, processEnv, quiet, startSite } from './helpers.js';

/** Xvfb servers started by this test process. */
function ourXvfbs(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      const args = processArgs(pid);
      return /Xvfb$/.test(args[0] ?? '') && args.includes('-displayfd') && processStatPpid(pid) === process.pid;
    });
}

function processStatPpid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

describe('browser-pool: headed leases', function () {
  this.timeout(90_000);
  let site: Awaited<ReturnType<typeof startSite>>;
  let pool: BrowserPool;
  const savedDisplay = process.env.DISPLAY;

  before(async () => {
    site = await startSite();
    delete process.env.DISPLAY;
    const { logger, registry } = quiet();
    pool = new BrowserPool({ logger, registry, max: 1 });
    await pool.start();
  });

  after(async () => {
    await pool.drain();
    await site.close();
    if (savedDisplay !== undefined) process.env.DISPLAY = savedDisplay;
  });

  it('runs a headed browser on an Xvfb the pool starts itself, separate from headless ones, and stops it on drain', async () => {
    const headless = await pool.lease();
    const headed = await pool.lease({ headed: true });
    expect(headed.headed).to.equal(true);
    expect(headless.headed).to.equal(false);
    expect(headed.browser).to.not.equal(headless.browser);

    const page = await headed.context.newPage();
    await page.goto(`${site.url}/`);
    expect(await page.textContent('body')).to.equal('cookie=');

    const xvfbs = ourXvfbs();
    expect(xvfbs).to.have.length(1);
    const mains = poolProcesses(pool.marker).filter((p) => p.main);
    expect(mains).to.have.length(2);
    const headedMain = mains.find((p) => !processArgs(p.pid).includes('--headless'));
    expect(headedMain, 'a browser launched without --headless').to.not.equal(undefined);
    expect(processEnv(headedMain!.pid).some((e) => /^DISPLAY=:\d+$/.test(e))).to.equal(true);
    expect(pool.stats()).to.include({ browsers: 2, borrowed: 2 });

    await headed.release();
    await headless.release();
    await pool.drain();
    expect(poolProcesses(pool.marker)).to.have.length(0);
    await eventually(() => ourXvfbs().length === 0, 10_000, 'Xvfb to exit');
  });
});
