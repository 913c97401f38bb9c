import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Workflow } from '../../core/index.js';
import { openReplayerEnv } from './env.js';

/** A one-step workflow against a server that answers /hang only when told to: the step is in flight. */
function hangingWorkflow(url: string): Workflow {
  const now = new Date().toISOString();
  return {
    id: `wf_hang_${Math.random().toString(16).slice(2, 10)}`,
    name: 'hangs',
    schemaVersion: 1,
    createdAt: now,
    updatedAt: now,
    origins: [url],
    startUrl: `${url}/hang`,
    steps: [{ id: 's1', description: 'GET /hang', request: { method: 'GET', url: `${url}/hang`, headers: [] }, redirects: 0, stateChanging: false, bootstrap: false, expect: { status: 200, contentType: 'application/json' } }],
    variables: [],
    inputs: [],
    session: null,
    output: { step: 's1' },
    actions: [],
    notes: [],
    stats: { entries: 1, kept: 1, dropped: {} },
  } as Workflow;
}

describe('replayer: the run deadline and cancellation while a request is in flight', function () {
  this.timeout(30_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let server: Server;
  let url: string;
  const held: ServerResponse[] = [];

  before(async () => {
    env = await openReplayerEnv('deadline');
    server = createServer((req, res) => {
      held.push(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const r of held) r.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await env?.close();
  });

  it('fails with run_deadline_exceeded when the deadline passes mid-step, long before the step timeout', async () => {
    const replayer = env.replayer({ runDeadlineMs: 400, stepTimeoutMs: 20_000, retries: { attempts: 1 } });
    const t = performance.now();
    const run = await replayer.run(hangingWorkflow(url), { mode: 'http' });
    const ms = performance.now() - t;
    expect(run.status).to.equal('failed');
    expect(run.error?.code).to.equal('run_deadline_exceeded');
    expect(ms).to.be.within(300, 5_000);
    expect(held.length, 'the request reached the server').to.be.greaterThan(0);
  });

  it('fails at once when the caller aborts its signal mid-step', async () => {
    const replayer = env.replayer({ runDeadlineMs: 60_000, stepTimeoutMs: 20_000, retries: { attempts: 1 } });
    const ac = new AbortController();
    const before = held.length;
    const pending = replayer.run(hangingWorkflow(url), { mode: 'http', signal: ac.signal });
    while (held.length === before) await new Promise((r) => setTimeout(r, 10));
    const t = performance.now();
    ac.abort();
    const run = await pending;
    expect(performance.now() - t).to.be.below(2_000);
    expect(run.status).to.equal('failed');
    expect(run.error?.code).to.equal('run_deadline_exceeded');
    expect(run.error?.message).to.match(/cancelled/);
  });
});
