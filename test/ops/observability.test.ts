import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Run } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { clearPrefix, testPrefix } from '../helpers/prefix.js';
import { CliProcess } from '../scale/processes.js';
import { seedFixtureWorkflow } from '../cli/cli-helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** Metric names a PromQL expression reads (histogram series reduced to their metric). */
export function metricsOf(expr: string): string[] {
  const names = expr.match(/\b(?:replayfarm|http|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))];
}

const declared = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));

/**
 * The scaled set-up for real: an API process with --no-worker and a worker process (the CLI's own
 * commands) on real Redis under their own prefix. The worker answers /healthz, /readyz and
 * /metrics on WORKER_HTTP_PORT, its /metrics shows the run it executed, and every metric the
 * Grafana dashboard queries is served by the process that owns it.
 */
describe('ops: every process is observable (API --no-worker + a worker)', function () {
  this.timeout(180_000);
  const prefix = testPrefix('obs');
  let site: FixtureSite;
  let seeded: Awaited<ReturnType<typeof seedFixtureWorkflow>>;
  let api: CliProcess;
  let worker: CliProcess;
  let apiUrl: string;
  let workerUrl: string;

  before(async () => {
    site = await startFixtureSite();
    seeded = await seedFixtureWorkflow(prefix, site.url, REDIS_URL);
    const env = { REDIS_URL, KEY_PREFIX: prefix, ALLOW_LOOPBACK_TARGETS: 'true', LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
    api = new CliProcess('api', ['serve', '--no-worker'], { ...env, PORT: '0' });
    worker = new CliProcess('worker', ['worker'], { ...env, WORKER_HTTP_PORT: String(await freePort()) });
    apiUrl = (await api.waitFor(/API listening on (http:\S+)/))[1]!;
    workerUrl = (await worker.waitFor(/worker health and metrics on (http:\S+) /))[1]!;
  });
  after(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await seeded?.close(false);
    await site?.close();
    await clearPrefix(REDIS_URL, prefix);
  });

  it('the worker answers /healthz, /readyz and unknown paths in the API error format', async () => {
    const health = await fetch(`${workerUrl}/healthz`);
    expect(health.status).to.equal(200);
    expect(await health.json()).to.deep.equal({ status: 'ok' });
    const ready = await fetch(`${workerUrl}/readyz`);
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.deep.equal({ status: 'ready', checks: { redis: 'ok', pool: 'ok' } });
    const nope = await fetch(`${workerUrl}/v1/workflows`);
    expect(nope.status).to.equal(404);
    expect(((await nope.json()) as { error: { code: string } }).error.code).to.equal('not_found');
    expect((await fetch(`${workerUrl}/metrics`, { method: 'POST' })).status).to.equal(405);
  });

  it("a run queued on the API shows in the worker's /metrics, not the API's", async () => {
    const res = await fetch(`${apiUrl}/v1/workflows/${seeded.wf.id}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'http', inputs: { title: 'observed', password: 's3cret-pass' }, wait: 60 }),
    });
    const run = (await res.json()) as Run;
    expect(res.status, JSON.stringify(run)).to.equal(200);
    expect(run).to.include({ status: 'succeeded', mode: 'http' });
    const workerMetrics = await (await fetch(`${workerUrl}/metrics`)).text();
    expect(workerMetrics).to.match(/^replayfarm_replay_runs_total\{mode="http",status="succeeded"\} 1$/m);
    expect(workerMetrics).to.match(/^replayfarm_replay_run_duration_seconds_count\{mode="http"\} 1$/m);
    const apiMetrics = await (await fetch(`${apiUrl}/metrics`)).text();
    expect(apiMetrics).not.to.match(/^replayfarm_replay_runs_total\{/m);
    expect(apiMetrics).to.match(/^http_request_duration_seconds_count\{route="\/v1\/workflows\/:id\/runs",method="POST",status="200"\} 1$/m);
  });

  it('every metric the Grafana dashboard queries is served (run metrics by the worker, HTTP metrics by the API)', async () => {
    const dashboard = JSON.parse(readFileSync(`${root}deploy/grafana/dashboards/replayfarm.json`, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const want of ['runs by mode and status', 'p50', 'p99', 'http hit ratio', 'fallbacks by reason', 'queue depth', 'pool saturation']) expect(titles).to.include(want);
    const apiTypes = declared(await (await fetch(`${apiUrl}/metrics`)).text());
    const workerTypes = declared(await (await fetch(`${workerUrl}/metrics`)).text());
    const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsOf(t.expr)));
    expect(queried.length).to.be.greaterThan(6);
    for (const name of queried) {
      const served = name.startsWith('http_') ? apiTypes : workerTypes;
      expect(served.has(name), `${name} in the ${name.startsWith('http_') ? 'API' : 'worker'}'s /metrics`).to.equal(true);
    }
  });
});
