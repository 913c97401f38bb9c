/**
 * Learner throughput and memory on HARs of 100, 1,000 and 10,000 entries, scaled up from a real
 * recording of the fixture site (Chromium + Playwright's HAR recorder; falls back to a shared
 * fixture HAR when no browser can start). Each size runs in its own child process so that peak
 * RSS is that size's own. Then the API's side: a 45 MB HAR of the same recording, scaled up, is
 * uploaded to a real server (POST /v1/hars; Redis at REDIS_URL) while GET /healthz is polled
 * every 20 ms, both from a thread of their own, to show what the upload costs the API's event loop.
 * Figures as `name: value` lines on stdout, progress on stderr.
 *
 *   npm run bench -- learner            (all sizes, then the upload)
 *   npm run bench -- learner 100 1000   (chosen sizes, then the upload)
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Action, HAREntry, HARFile } from '../core/index.js';
import { createLogger } from '../core/index.js';
import { learn } from '../recorder/learner/index.js';
import { Replayfarm } from '../server/replayfarm.js';
import { quantile } from './lib/stats.js';
import { sharedHarsDir } from '../test/helpers/shared-fixtures.js';
import { uploadWhilePolling } from '../test/helpers/upload-while-polling.js';

interface Base {
  har: HARFile;
  actions: Action[];
  source: string;
}

interface ChildResult {
  seconds: number;
  cpuSeconds: number;
  peakMb: number;
  kept: number;
  harMb: number;
}

const SELF = fileURLToPath(import.meta.url);
const REPEATS = 3;

/**
 * Copy `k` of the recording: every hex-looking token (ids, CSRF tokens, session ids) replaced
 * consistently by a fresh one, times shifted, so each copy is a new run of the same workflow.
 */
function freshCopy(entries: HAREntry[], k: number, spanMs: number): HAREntry[] {
  // Hex tokens with letters and digits only (never a JSON number), length kept.
  const text = JSON.stringify(entries).replace(/(?<![\d.])\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/g, (hex) => {
    let out = '';
    for (let i = 0; i < hex.length; i++) out += ((parseInt(hex[i]!, 16) + k * 7 + i) % 16).toString(16);
    return out;
  });
  const copy = JSON.parse(text) as HAREntry[];
  for (const e of copy) e.startedDateTime = new Date(Date.parse(e.startedDateTime) + k * spanMs).toISOString();
  return copy;
}

function scaled(base: Base, size: number): HARFile {
  const src = base.har.log.entries;
  const first = Date.parse(src[0]!.startedDateTime);
  const last = Date.parse(src[src.length - 1]!.startedDateTime);
  const span = Math.max(1000, last - first + 1000);
  const entries: HAREntry[] = [];
  for (let k = 0; entries.length < size; k++) entries.push(...freshCopy(src, k, span));
  return { log: { ...base.har.log, entries: entries.slice(0, size) } };
}

function child(basePath: string, size: number): void {
  const base = JSON.parse(readFileSync(basePath, 'utf8')) as Base;
  const har = scaled(base, size);
  const times: number[] = [];
  const cpu: number[] = [];
  let kept = 0;
  for (let r = 0; r < REPEATS; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const wf = learn(har, { actions: base.actions, sealSecret: (s) => `sealed:${s.length}`, id: 'wf_bench', now: () => new Date(0) });
    const c1 = process.cpuUsage(c0);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    cpu.push((c1.user + c1.system) / 1e6);
    kept = wf.steps.length;
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ size, seconds: median(times), cpuSeconds: median(cpu), peakMb, kept, harMb: JSON.stringify(har).length / 1e6 }));
}

async function recordBase(): Promise<Base> {
  try {
    const { recordFixtureFlow } = await import('../test/recorder/learner-recording.js');
    const rec = await recordFixtureFlow();
    return { har: rec.har, actions: rec.actions, source: `fixture-site recording (${rec.har.log.entries.length} entries)` };
  } catch (err) {
    process.stderr.write(`recording failed (${(err as Error).message.split('\n')[0]}); using a shared fixture HAR\n`);
    const file = fileURLToPath(new URL('18-haralyzer-firebug-cnn.har', sharedHarsDir()));
    const har = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as HARFile;
    return { har, actions: [], source: `18-haralyzer-firebug-cnn.har (${har.log.entries.length} entries)` };
  }
}

/** The recording scaled up to `mb` MB of HAR JSON (whole entries, just past it). */
function harOfSize(base: Base, mb: number): Buffer {
  const perEntry = JSON.stringify(base.har.log.entries).length / base.har.log.entries.length;
  let entries = Math.ceil((mb * 1e6) / perEntry);
  for (;;) {
    const body = Buffer.from(JSON.stringify(scaled(base, entries)));
    if (body.length >= mb * 1e6) return body;
    entries = Math.ceil(entries * ((mb * 1e6) / body.length) * 1.01);
  }
}

/** A real server (API only, its own key prefix, logs dropped), one 45 MB upload, /healthz meanwhile. */
async function uploadBench(base: Base): Promise<void> {
  const body = harOfSize(base, 45);
  const mb = body.length / 1e6;
  const rf = new Replayfarm({
    env: process.env,
    worker: false,
    logger: createLogger({ level: 'error', format: 'json', stream: new PassThrough().resume() }),
    config: { port: 0, host: '127.0.0.1', keyPrefix: `rf-bench-upload-${randomBytes(4).toString('hex')}:`, poolMin: 0 },
  });
  try {
    const url = await rf.listen();
    process.stderr.write(`uploading a ${mb.toFixed(1)} MB HAR to ${url} while polling /healthz…\n`);
    const r = await uploadWhilePolling(url, body, { query: 'name=bench', leadMs: 500, trailMs: 200 });
    if (r.status !== 201) throw new Error(`upload answered ${r.status}: ${r.text.slice(0, 500)}`);
    process.stdout.write(`upload_45mb_har_mb: ${mb.toFixed(1)}\n`);
    process.stdout.write(`upload_45mb_s: ${r.seconds.toFixed(2)}\n`);
    process.stdout.write(`health_polls_during_45mb_upload: ${r.lat.length}\n`);
    process.stdout.write(`health_p50_ms_during_45mb_upload: ${quantile(r.lat, 0.5).toFixed(1)}\n`);
    process.stdout.write(`health_p99_ms_during_45mb_upload: ${quantile(r.lat, 0.99).toFixed(1)}\n`);
    process.stdout.write(`health_max_ms_during_45mb_upload: ${Math.max(...r.lat).toFixed(1)}\n`);
  } finally {
    await rf.store.clear().catch(() => {});
    await rf.close();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, Number(process.argv[4]));
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const list = sizes.length ? sizes : [100, 1000, 10000];
  process.stderr.write('recording the fixture workflow…\n');
  const base = await recordBase();
  process.stderr.write(`base: ${base.source}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'rf-bench-learner-'));
  const basePath = join(dir, 'base.json');
  writeFileSync(basePath, JSON.stringify(base));
  const results = new Map<number, ChildResult>();
  try {
    for (const size of list) {
      process.stderr.write(`learning ${size} entries (median of ${REPEATS})…\n`);
      const res = spawnSync(process.execPath, [...(SELF.endsWith('.ts') ? ['--import', 'tsx'] : []), SELF, '--child', basePath, String(size)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (res.status !== 0) throw new Error(`child for ${size} failed: ${res.stderr.slice(-2000)}`);
      results.set(size, JSON.parse(res.stdout) as ChildResult);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [size, r] of results) {
    process.stdout.write(`learn_s_${size}: ${r.seconds.toFixed(4)}\n`);
    process.stdout.write(`learn_cpu_s_${size}: ${r.cpuSeconds.toFixed(4)}\n`);
    process.stdout.write(`entries_per_s_${size}: ${Math.round(size / r.seconds)}\n`);
    process.stdout.write(`peak_rss_mb_${size}: ${r.peakMb.toFixed(1)}\n`);
    process.stdout.write(`har_mb_${size}: ${r.harMb.toFixed(1)}\n`);
    process.stdout.write(`steps_kept_${size}: ${r.kept}\n`);
  }
  for (let i = 1; i < list.length; i++) {
    const a = results.get(list[i - 1]!)!;
    const b = results.get(list[i]!)!;
    process.stdout.write(`growth_ratio_${list[i - 1]}_to_${list[i]}: ${(b.seconds / a.seconds).toFixed(2)}\n`);
    process.stdout.write(`cpu_growth_ratio_${list[i - 1]}_to_${list[i]}: ${(b.cpuSeconds / a.cpuSeconds).toFixed(2)}\n`);
  }
  await uploadBench(base);
}

await main();
