import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createLogger, withContext } from '../../core/index.js';
import type { FixtureSite } from '../fixtures/site/index.js';
import { openReplayerEnv } from './env.js';
import { fixtureWorkflow } from './fixture-workflow.js';

/** Log lines carry the run id without an async context on the HTTP path (replayer/run-log.ts). */
describe('replayer log lines carry the run id', function () {
  this.timeout(60_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let site: FixtureSite;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    env = await openReplayerEnv('run-log');
    site = await env.site();
  });
  after(async () => {
    await env?.close();
  });

  function replayerWithLog() {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    });
    return env.replayer({ logger: createLogger({ stream, format: 'json', level: 'info' }) });
  }

  it('a session repair is logged with the run id the caller gave', async () => {
    const replayer = replayerWithLog();
    const wf = fixtureWorkflow(site.url, env.secretBox);
    expect((await replayer.run(wf, { inputs: { title: 'log 1' } })).status).to.equal('succeeded');
    site.revokeAllSessions();
    const run = await replayer.run(wf, { runId: 'run_given_1', inputs: { title: 'log 2' } });
    expect(run.mode, JSON.stringify(run.error)).to.equal('hybrid');
    const repaired = lines.find((l) => l.message === 'session repaired');
    expect(repaired, JSON.stringify(lines)).to.not.equal(undefined);
    expect(repaired!.runId).to.equal('run_given_1');
  });

  it('a failed run without a given id is logged with one made for it, and a worker context is kept', async () => {
    const replayer = replayerWithLog();
    const wf = { ...fixtureWorkflow(site.url, env.secretBox), steps: [] };
    lines.length = 0;
    await replayer.run(wf as never);
    const failed = lines.find((l) => String(l.message).startsWith('run failed'));
    expect(failed, JSON.stringify(lines)).to.not.equal(undefined);
    expect(String(failed!.runId)).to.match(/^run_[0-9a-f]{20}$/);

    lines.length = 0;
    await withContext({ runId: 'run_from_worker' }, () => replayer.run(wf as never, { runId: 'run_from_worker' }));
    expect(lines.find((l) => String(l.message).startsWith('run failed'))?.runId).to.equal('run_from_worker');
  });
});
