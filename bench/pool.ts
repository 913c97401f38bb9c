/**
 * Browser pool figures, measured side by side in one run (rounds interleave cold and warm so
 * machine load hits both alike): warm lease (a context on a pooled browser) vs cold launch +
 * context, lease throughput at max=2 browsers, and RSS per browser from /proc.
 * Usage: npm run bench -- pool [rounds=10] [throughputLeases=200]
 */
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright';
import { BrowserPool, launchOptions, poolProcesses } from '../browser-pool/index.js';
import { createLogger, createRegistry } from '../core/index.js';

const rounds = Number(process.argv[2] ?? 10);
const throughputLeases = Number(process.argv[3] ?? 200);
const WARM_PER_ROUND = 5;

const progress = (msg: string) => process.stderr.write(`[bench pool] ${msg}\n`);
const out = (name: string, value: number | string) => process.stdout.write(`${name}: ${typeof value === 'number' ? Math.round(value * 100) / 100 : value}\n`);

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Per browser (process group): summed RSS (counts shared pages once per process) and PSS (shares them out). */
function memoryPerBrowserMb(marker: string): { rss: number[]; pss: number[] } {
  const procs = poolProcesses(marker);
  const mains = new Set(procs.filter((p) => p.main).map((p) => p.pgid));
  const rss = new Map<number, number>();
  const pss = new Map<number, number>();
  for (const p of procs) {
    if (!mains.has(p.pgid)) continue;
    rss.set(p.pgid, (rss.get(p.pgid) ?? 0) + p.rssBytes);
    let kb = 0;
    try {
      kb = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
    pss.set(p.pgid, (pss.get(p.pgid) ?? 0) + kb * 1024);
  }
  const mb = (m: Map<number, number>) => [...m.values()].map((b) => b / 1024 / 1024);
  return { rss: mb(rss), pss: mb(pss) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const pool = new BrowserPool({
  logger: createLogger({ silent: true }),
  registry: createRegistry({ defaultMetrics: false }),
  min: 1,
  max: 2,
  contextsPerBrowser: 4,
  retireAfterLeases: 10_000,
  maxWaiting: 64,
});

try {
  progress('starting pool (min=1, max=2, contextsPerBrowser=4)');
  await pool.start();
  // One lease to warm Playwright's own code paths before timing.
  await (await pool.lease()).release();

  const warm: number[] = [];
  const warmRelease: number[] = [];
  const cold: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    const browser = await chromium.launch({ ...launchOptions(), handleSIGINT: false });
    const ctx = await browser.newContext();
    cold.push(performance.now() - t);
    await ctx.close();
    await browser.close();
    for (let i = 0; i < WARM_PER_ROUND; i++) {
      t = performance.now();
      const lease = await pool.lease();
      warm.push(performance.now() - t);
      t = performance.now();
      await lease.release();
      warmRelease.push(performance.now() - t);
    }
    progress(`round ${r + 1}/${rounds}: cold ${Math.round(cold.at(-1)!)} ms, warm p50 so far ${Math.round(pct(warm, 50))} ms`);
  }

  progress(`throughput: ${throughputLeases} leases (lease + release) with 8 concurrent callers`);
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (done < throughputLeases) {
        done++;
        await (await pool.lease()).release();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;

  progress('memory: two browsers, idle, then with 4 pages each');
  const leases = await Promise.all(Array.from({ length: 8 }, () => pool.lease()));
  const browsersInUse = new Set(leases.map((l) => l.browser)).size;
  await Promise.all(leases.map((l) => l.release()));
  const idle = memoryPerBrowserMb(pool.marker);
  const paged = await Promise.all(Array.from({ length: 8 }, () => pool.lease()));
  await Promise.all(paged.map(async (l) => (await l.context.newPage()).goto('data:text/html,<h1>bench</h1>')));
  const withPages = memoryPerBrowserMb(pool.marker);
  await Promise.all(paged.map((l) => l.release()));

  out('warm_lease_p50_ms', pct(warm, 50));
  out('warm_lease_p95_ms', pct(warm, 95));
  out('warm_release_p50_ms', pct(warmRelease, 50));
  out('cold_launch_p50_ms', pct(cold, 50));
  out('cold_launch_p95_ms', pct(cold, 95));
  out('warm_vs_cold_ratio', pct(cold, 50) / pct(warm, 50));
  out('warm_samples', warm.length);
  out('cold_samples', cold.length);
  out('leases_per_s', throughputLeases / seconds);
  out('throughput_browsers', browsersInUse);
  out('rss_per_browser_idle_mb', mean(idle.rss));
  out('pss_per_browser_idle_mb', mean(idle.pss));
  out('rss_per_browser_4_pages_mb', mean(withPages.rss));
  out('pss_per_browser_4_pages_mb', mean(withPages.pss));
  out('browsers_measured', idle.rss.length);
} finally {
  await pool.drain();
  progress(`drained; pool processes left: ${poolProcesses(pool.marker).length}`);
}
