/**
 * bench/liveview: the console's live view of a recording, measured end to end on loopback with a
 * viewer page in real Chromium (a second browser, like a person's), the API in this process and
 * the recording in a pooled browser.
 *   frame_latency_p50_ms  a colour change in the remote page → the frame showing it painted in the viewer
 *   input_latency_p50_ms  a key sent by the viewer → the keydown event in the remote page
 *   fps                   frames the viewer gets per second while the page animates
 * Goals on loopback: < 150, < 100, >= 10. Figures as `name: value` lines; progress on stderr.
 * Usage: npm run bench -- liveview [samples=20]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright';
import { launchOptions } from '../browser-pool/index.js';
import { Replayfarm } from '../server/replayfarm.js';
import { quantile } from './lib/stats.js';
import { TARGET_PAGE, VIEWER_PAGE } from './liveview-pages.js';

const SAMPLES = Number(process.argv[2] ?? 20);
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const out = (name: string, value: number) => process.stdout.write(`${name}: ${Number.isFinite(value) ? value.toFixed(1) : 'NaN'}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Report {
  what: string;
  t: number;
  color?: string;
  key?: string;
}

async function main(): Promise<void> {
  const reports: Report[] = [];
  const site = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/report') {
      reports.push({ what: u.searchParams.get('what')!, t: Number(u.searchParams.get('t')), color: u.searchParams.get('color') ?? undefined, key: u.searchParams.get('key') ?? undefined });
      return void res.writeHead(204).end();
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(TARGET_PAGE);
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const rf = new Replayfarm({
    env: { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    config: { port: 0, host: '127.0.0.1', keyPrefix: `rf-bench-live-${randomBytes(4).toString('hex')}:`, allowLoopback: true, logLevel: (process.env.LOG_LEVEL as 'warn') ?? 'warn', logFormat: 'json' },
    worker: false,
  });
  // The viewer page is served by a route (as the API's origin: the live view refuses others), so
  // Chromium counts it as a public page and its Local Network Access checks would block the
  // loopback WebSocket; the real console, served from the API itself, needs no such flag.
  const base0 = launchOptions({ executablePath: process.env.BROWSER_EXECUTABLE || undefined });
  const viewerBrowser = await chromium.launch({ ...base0, args: [...(base0.args ?? []), '--disable-features=LocalNetworkAccessChecks'] });
  try {
    const base = await rf.listen();
    const started = await fetch(`${base}/v1/recordings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ startUrl: `${siteUrl}/`, name: 'bench liveview' }) });
    const rec = (await started.json()) as { id: string };
    if (started.status !== 201) throw new Error(`recording did not start: ${JSON.stringify(rec)}`);
    log(`recording ${rec.id}; opening the viewer`);
    const viewer = await viewerBrowser.newPage({ viewport: { width: 1280, height: 800 } });
    // the viewer page is served as the API's own origin (the live view refuses other origins)
    await viewer.route(`${base}/bench-viewer`, (route) => route.fulfill({ contentType: 'text/html', body: VIEWER_PAGE }));
    await viewer.goto(`${base}/bench-viewer#${rec.id}`);
    await viewer.evaluate(() => (window as unknown as { ready: Promise<void> }).ready);
    await viewer.waitForFunction(() => (window as unknown as { frames_: number }).frames_ > 0, undefined, { timeout: 15_000 });

    log('fps while the page animates (5 s)');
    const f0 = await viewer.evaluate(() => (window as unknown as { frames_: number }).frames_);
    await sleep(5000);
    const fps = ((await viewer.evaluate(() => (window as unknown as { frames_: number }).frames_)) - f0) / 5;

    log(`input latency: ${SAMPLES} keys`);
    const keys = Array.from({ length: SAMPLES }, (_, i) => String.fromCharCode(97 + (i % 26)));
    for (const k of keys) {
      await viewer.evaluate((key) => (window as unknown as { press: (k: string) => void }).press(key), k);
      await sleep(150);
    }
    await sleep(500);
    const sent = await viewer.evaluate(() => (window as unknown as { sent: Array<{ key: string; t: number }> }).sent);
    const keyReports = reports.filter((r) => r.what === 'key');
    const input = sent.map((s, i) => (keyReports[i]?.key === s.key ? keyReports[i]!.t - s.t : NaN)).filter(Number.isFinite);

    log(`frame latency: ${SAMPLES} colour flips`);
    const flipsFrom = reports.length;
    await viewer.evaluate(() => (window as unknown as { changes: unknown[] }).changes.splice(0));
    await startFlipping(base, rec.id, siteUrl);
    for (let until = Date.now() + 400 * (SAMPLES + 3); Date.now() < until; ) await sleep(100);
    const flips = reports.slice(flipsFrom).filter((r) => r.what === 'flip');
    const changes = await viewer.evaluate(() => (window as unknown as { changes: Array<{ color: string; t: number }> }).changes);
    const frame = flips.slice(0, SAMPLES).map((f) => (changes.find((c) => c.color === f.color && c.t >= f.t)?.t ?? NaN) - f.t).filter(Number.isFinite);

    log(`keys matched ${input.length}/${SAMPLES}, flips seen ${frame.length}/${Math.min(SAMPLES, flips.length)}`);
    out('frame_latency_p50_ms', quantile(frame, 0.5));
    out('frame_latency_p99_ms', quantile(frame, 0.99));
    out('input_latency_p50_ms', quantile(input, 0.5));
    out('input_latency_p99_ms', quantile(input, 0.99));
    out('fps', fps);
    await fetch(`${base}/v1/recordings/${rec.id}/stop`, { method: 'POST' }).catch(() => undefined);
  } finally {
    await viewerBrowser.close();
    await rf.close();
    site.close();
  }
}

/** Starts the target's flips: a scripted goto to `#flip` on the recording (the page's timer then flips every 400 ms). */
async function startFlipping(base: string, recordingId: string, siteUrl: string): Promise<void> {
  const res = await fetch(`${base}/v1/recordings/${recordingId}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actions: [{ type: 'goto', url: `${siteUrl}/#flip` }] }) });
  if (res.status !== 200) throw new Error(`could not start the flips: ${res.status} ${await res.text()}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench liveview failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
