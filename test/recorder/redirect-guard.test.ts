import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import { AddressPolicy, AppError } from '../../core/index.js';
import type { RecordingManager } from '../../recorder/index.js';
import { metricValue } from '../browser-pool/helpers.js';
import { OnlySitePolicy, settle, startRefusedTarget, startVectorSite, type RefusedTarget, type VectorSite } from '../browser-pool/egress-sites.js';
import { startTestApp } from '../helpers/test-app.js';
import { recorderRig, type RecorderRig } from './helpers.js';

const REFUSED_METRIC = 'replayfarm_recording_requests_refused_total';

/**
 * route() is not asked about redirect hops, so a recording guarded only by route() followed a 302
 * to a refused address and kept its answer in the HAR. Every connection of a recording's browser
 * now goes through the lease's egress proxy: a refused address is never connected to, by any path.
 * Loopback is refused here except 127.0.0.2, where the allowed site runs; the refused target
 * listens on 127.0.0.1 and counts every TCP connection.
 */
describe('recorder: no hop takes a recording past the address policy', function () {
  this.timeout(180_000);
  let rig: RecorderRig;
  let target: RefusedTarget;
  let site: VectorSite;
  let manager: RecordingManager;

  before(async () => {
    rig = await recorderRig('redirect-guard');
    target = await startRefusedTarget('127.0.0.1');
    site = await startVectorSite(() => target.url, '127.0.0.2');
    manager = rig.manager({ policy: new OnlySitePolicy() });
  });
  after(async () => {
    await rig?.close();
    await site?.close();
    await target?.close();
  });
  beforeEach(() => target.reset());

  /** Records the site's page `path` (opened by a scripted goto), waits for what the page does, stops; the stored HAR as text. */
  async function record(path: string, waitFor: () => boolean): Promise<{ har: string; gotoError?: AppError }> {
    const rec = await manager.start({ startUrl: `${site.url}/` });
    const gotoError = await manager.act(rec.id, [{ type: 'goto', url: `${site.url}${path}` }]).then(
      () => undefined,
      (e: unknown) => e as AppError,
    );
    await settle(waitFor, 5000);
    await new Promise((r) => setTimeout(r, 300));
    // Learning may fail on such a short recording; the HAR is stored either way.
    await manager.stop(rec.id).catch((e: unknown) => expect((e as AppError).code).to.equal('learn_failed'));
    return { har: JSON.stringify(await manager.getHar(rec.id)), gotoError };
  }

  it('a start page that redirects to a refused address fails to start, and the address is never contacted', async () => {
    const before = await metricValue(rig.registry, REFUSED_METRIC);
    const err = await manager.start({ startUrl: `${site.url}/redirect` }).then(
      () => expect.fail('the recording should not have started'),
      (e: unknown) => e as AppError,
    );
    expect(err).to.be.instanceOf(AppError);
    expect(err.message).to.contain('ERR_EMPTY_RESPONSE');
    expect(err.message).not.to.contain(target.marker);
    expect(site.hits('/redirect')).to.be.at.least(1);
    expect(target.connections()).to.equal(0);
    expect(await metricValue(rig.registry, REFUSED_METRIC)).to.be.greaterThan(before);
  });

  const vectors: Array<{ name: string; path: string }> = [
    { name: 'a 302 redirect', path: '/redirect' },
    { name: 'a meta refresh', path: '/meta' },
    { name: 'a window.location assignment', path: '/location' },
    { name: 'fetch()', path: '/fetch' },
    { name: 'a WebSocket', path: '/ws' },
    { name: 'an iframe', path: '/iframe' },
  ];
  for (const v of vectors) {
    it(`${v.name} to a refused address: no connection, and nothing of its answer in the recording's HAR`, async () => {
      const before = await metricValue(rig.registry, REFUSED_METRIC);
      let refusedNow = before;
      const { har, gotoError } = await record(v.path, () => {
        void metricValue(rig.registry, REFUSED_METRIC).then((n) => (refusedNow = n));
        return refusedNow > before;
      });
      expect(target.connections(), 'connections to the refused server').to.equal(0);
      expect(har).not.to.contain(target.marker);
      expect(har).to.contain(`${site.url}${v.path}`);
      expect(await metricValue(rig.registry, REFUSED_METRIC), 'refusals counted').to.be.greaterThan(before);
      if (v.path === '/redirect') expect(gotoError?.message).to.contain('ERR_EMPTY_RESPONSE');
    });
  }

  it('still records normally through the proxy: redirects the policy allows are followed and recorded', async () => {
    const rec = await manager.start({ startUrl: `${site.url}/redirect-local` });
    await manager.stop(rec.id).catch((e: unknown) => expect((e as AppError).code).to.equal('learn_failed'));
    const har = await manager.getHar(rec.id);
    const urls = har.log.entries.map((e) => `${e.response.status} ${e.request.url}`);
    expect(urls).to.include(`302 ${site.url}/redirect-local`);
    expect(urls).to.include(`200 ${site.url}/landing`);
    expect(JSON.stringify(har)).to.contain('landed');
    expect(target.connections()).to.equal(0);
  });

  it('refuses a 302 to the cloud metadata address even where loopback and private targets are allowed', async () => {
    const open = rig.manager({ policy: new AddressPolicy({ allowLoopback: true, allowPrivate: true }) });
    const before = await metricValue(rig.registry, REFUSED_METRIC);
    const err = await open.start({ startUrl: `${site.url}/redirect-metadata` }).then(
      () => expect.fail('the recording should not have started'),
      (e: unknown) => e as AppError,
    );
    expect(err.message).to.contain('ERR_EMPTY_RESPONSE');
    expect(await metricValue(rig.registry, REFUSED_METRIC)).to.be.greaterThan(before);
  });

  describe('through the API (GET /v1/recordings/:id/har)', () => {
    /** A non-loopback address of this machine that ALLOW_PRIVATE_TARGETS allows (private or public; not link-local). */
    function privateAddress(): string | undefined {
      const policy = new AddressPolicy({ allowPrivate: true });
      for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) if (!a.internal && !policy.refusal(a.address)) return a.address;
      }
      return undefined;
    }

    it('a recording that follows a 302 to loopback (refused) keeps nothing of its answer', async () => {
      // The allowed site needs an address other than loopback; machines of this kind have one on eth0.
      const address = privateAddress();
      if (!address) expect.fail('this test needs a non-loopback, non-link-local address on this machine');
      const own = await startVectorSite(() => target.url, address);
      const app = await startTestApp({ allowLoopback: false, allowPrivate: true, recordingAllowLocal: false });
      try {
        const post = (path: string, body: unknown) => fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        const started = await post('/v1/recordings', { startUrl: `${own.url}/` });
        expect(started.status).to.equal(201);
        const { id } = (await started.json()) as { id: string };
        const acted = await post(`/v1/recordings/${id}/actions`, { actions: [{ type: 'goto', url: `${own.url}/redirect` }] });
        expect(acted.status).to.be.at.least(400);
        expect(await acted.text()).not.to.contain(target.marker);
        await post(`/v1/recordings/${id}/stop`, {});
        const res = await fetch(`${app.url}/v1/recordings/${id}/har`);
        expect(res.status).to.equal(200);
        const har = await res.text();
        expect(har).to.contain(`${own.url}/redirect`);
        expect(har).not.to.contain(target.marker);
        expect(target.connections()).to.equal(0);
      } finally {
        await app.close();
        await own.close();
      }
    });
  });
});
