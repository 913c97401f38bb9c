import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'chai';
import type { Recording } from '../../core/index.js';
import { poolProcesses } from '../../browser-pool/processes.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { clearPrefix, testPrefix } from '../helpers/prefix.js';
import { freePort } from '../helpers/redis-server.js';
import { api } from '../api/helpers.js';
import { CliProcess } from '../scale/processes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The pool marker of the browsers a process launched (read from its children's command lines). */
function poolMarkerOf(pid: number): string | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const m = /--replayfarm-pool=([\w-]+)/.exec(readFileSync(`/proc/${name}/cmdline`, 'utf8'));
      if (m) return m[1];
    } catch {
      // gone while we looked
    }
  }
  return undefined;
}

/**
 * A recording lives in the API process that holds its browser. When that process is killed, the
 * next API process on the same Redis marks the recording failed instead of leaving it `recording`.
 */
describe('recorder: a recording whose process was killed', function () {
  this.timeout(120_000);
  const prefix = testPrefix('orphan');
  let site: FixtureSite;
  const procs: CliProcess[] = [];
  let marker: string | undefined;

  const env = (port: number) => ({
    REDIS_URL,
    KEY_PREFIX: prefix,
    SECRET_KEY: 'b2'.repeat(32),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    RECORDING_LIVENESS_MS: '1000',
  });
  const startApi = async (): Promise<string> => {
    const p = new CliProcess(`api${procs.length + 1}`, ['serve', '--no-worker'], env(await freePort()));
    procs.push(p);
    return (await p.waitFor(/API listening on (http:\/\/\S+)/))[1]!;
  };

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    // the killed process's browser outlived it: end its process group
    for (const p of marker ? poolProcesses(marker) : []) {
      if (!p.main) continue;
      try {
        process.kill(-p.pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await clearPrefix(REDIS_URL, prefix);
    await site?.close();
  });

  it('is marked failed (recording_failed) by the next API process; a live one is left alone', async () => {
    const first = await startApi();
    const started = await api<Recording>(first, '/v1/recordings', { body: { startUrl: `${site.url}/login` } });
    expect(started.status, started.text).to.equal(201);
    const id = started.json.id;
    marker = poolMarkerOf(procs[0]!.pid);
    await procs[0]!.stop('SIGKILL');

    const second = await startApi();
    const live = await api<Recording>(second, '/v1/recordings', { body: { startUrl: `${site.url}/login` } });
    expect(live.status, live.text).to.equal(201);

    let orphan: Recording | undefined;
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const got = await api<Recording>(second, `/v1/recordings/${id}`);
      expect(got.status, got.text).to.equal(200);
      orphan = got.json;
      if (orphan.status !== 'recording') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(orphan!.status, JSON.stringify(orphan)).to.equal('failed');
    expect(orphan!.error?.code).to.equal('recording_failed');
    expect(orphan!.error?.message).to.match(/crashed or was killed/);

    // Several liveness periods later the second process's own recording is still open, and stops normally.
    await new Promise((r) => setTimeout(r, 2_500));
    const still = await api<Recording>(second, `/v1/recordings/${live.json.id}`);
    expect(still.json.status).to.equal('recording');
    const stop = await api(second, `/v1/recordings/${live.json.id}/stop`, { method: 'POST' });
    expect([201, 422], stop.text).to.include(stop.status);
    expect((await api<Recording>(second, `/v1/recordings/${live.json.id}`)).json.status).to.not.equal('recording');
  });
});
