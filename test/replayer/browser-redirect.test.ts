import { expect } from 'chai';
import type { Workflow } from '../../core/index.js';
import type { Replayer } from '../../replayer/index.js';
import { startRefusedTarget, startVectorSite, type RefusedTarget, type VectorSite } from '../browser-pool/egress-sites.js';
import { openReplayerEnv } from './env.js';

/** A one-step workflow on `site` whose browser replay opens `path`; its output is that page. */
function pageWorkflow(site: string, path: string): Workflow {
  const now = new Date().toISOString();
  return {
    id: `wf_redirect_${Math.random().toString(16).slice(2, 10)}`,
    name: `open ${path}`,
    schemaVersion: 1,
    createdAt: now,
    updatedAt: now,
    origins: [site],
    startUrl: `${site}${path}`,
    steps: [
      {
        id: 's1',
        description: `GET ${path}`,
        request: { method: 'GET', url: `${site}${path}`, headers: [{ name: 'accept', value: 'text/html' }] },
        redirects: 1,
        stateChanging: false,
        bootstrap: false,
        expect: { status: 200, contentType: 'text/html' },
      },
    ],
    variables: [],
    inputs: [],
    session: null,
    output: { step: 's1' },
    actions: [{ type: 'goto', url: `${site}${path}` }],
    notes: [],
    stats: { entries: 2, kept: 1, dropped: {} },
  };
}

/**
 * A browser-mode run reaches only the workflow's origins, redirect hops included: route() is not
 * asked about hops, the lease's egress proxy is. Loopback is allowed here (the replays' policy),
 * so only the origin allowlist keeps the outside server away.
 */
describe('replayer: a browser-mode run never follows a redirect out of the workflow\'s origins', function () {
  this.timeout(120_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let outside: RefusedTarget;
  let site: VectorSite;
  let replayer: Replayer;

  before(async () => {
    env = await openReplayerEnv('browser-redirect');
    outside = await startRefusedTarget('127.0.0.1');
    site = await startVectorSite(() => outside.url, '127.0.0.1');
    replayer = env.replayer();
  });
  after(async () => {
    await env?.close();
    await site?.close();
    await outside?.close();
  });

  it('a 302 to another origin fails the run; the outside server is never contacted', async () => {
    const run = await replayer.run(pageWorkflow(site.url, '/redirect'), { mode: 'browser' });
    expect(site.hits('/redirect')).to.be.at.least(1);
    expect(outside.connections(), 'connections to the origin outside the workflow').to.equal(0);
    expect(run.status).to.equal('failed');
    expect(JSON.stringify(run)).not.to.contain(outside.marker);
    const metrics = await env.registry.metrics();
    expect(Number(/replayfarm_replay_egress_refused_total\{mode="browser",reason="origin"\} (\d+)/.exec(metrics)?.[1] ?? 0), 'refused browser connections counted').to.be.at.least(1);
  });

  it('a redirect within the workflow\'s origins is followed through the proxy and the run succeeds', async () => {
    const run = await replayer.run(pageWorkflow(site.url, '/redirect-local'), { mode: 'browser' });
    expect(run.error).to.equal(undefined);
    expect(run.status).to.equal('succeeded');
    expect(run.mode).to.equal('browser');
    expect(String(run.output?.body)).to.contain('landed');
    expect(site.hits('/landing')).to.be.at.least(1);
  });
});
