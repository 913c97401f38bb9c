import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { AddressPolicy, AppError, type Logger } from '../../core/index.js';
import { RecordingGuard } from '../../recorder/recording-guard.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { recorderRig, type RecorderRig } from './helpers.js';

/**
 * A recording's browser only reaches what the address policy allows (the replays' policy): cloud
 * metadata and link-local never, loopback and private ranges only when configured.
 */
describe('recorder: the address policy applies to recording browsers', function () {
  this.timeout(120_000);
  let rig: RecorderRig;
  let site: FixtureSite;
  let pixel: Server;
  let pixelUrl: string;
  let hits = 0;

  before(async () => {
    rig = await recorderRig('recording-guard');
    site = await startFixtureSite();
    pixel = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'image/gif' }).end(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'));
    });
    await new Promise<void>((resolve) => pixel.listen(0, '127.0.0.1', resolve));
    pixelUrl = `http://127.0.0.1:${(pixel.address() as AddressInfo).port}/pixel.gif`;
  });
  after(async () => {
    await rig?.close();
    await site?.close();
    await new Promise<void>((resolve) => pixel.close(() => resolve()));
  });

  /** Loads a page (not from the network) that asks for the pixel, in a context guarded by `policy`. */
  async function loadPixel(policy: AddressPolicy, guard?: RecordingGuard): Promise<{ refused: string[]; loaded: boolean }> {
    const refused: string[] = [];
    const lease = await rig.pool.lease();
    try {
      await (guard ?? new RecordingGuard(policy, (host) => refused.push(host))).attach(lease.context);
      const page = await lease.context.newPage();
      await page.setContent(`<img id="p" src="${pixelUrl}">`);
      const loaded = await page.evaluate(
        () =>
          new Promise<boolean>((resolve) => {
            const img = document.getElementById('p') as HTMLImageElement;
            if (img.complete) return resolve(img.naturalWidth > 0);
            img.onload = () => resolve(true);
            img.onerror = () => resolve(false);
          }),
      );
      return { refused, loaded };
    } finally {
      await lease.release();
    }
  }

  it('blocks a page request to a refused address before it leaves the browser, and lets it through when allowed', async () => {
    hits = 0;
    const strict = await loadPixel(new AddressPolicy());
    expect(strict.loaded).to.equal(false);
    expect(strict.refused).to.deep.equal(['127.0.0.1']);
    expect(hits).to.equal(0);

    const open = await loadPixel(new AddressPolicy({ allowLoopback: true }));
    expect(open.loaded).to.equal(true);
    expect(open.refused).to.deep.equal([]);
    expect(hits).to.equal(1);
  });

  it('logs a refused host once, however many requests it refuses (without the URL)', async () => {
    const warnings: Array<[string, Record<string, unknown>]> = [];
    const log = { warn: (msg: string, meta: Record<string, unknown>) => warnings.push([msg, meta]) } as unknown as Logger;
    let refusals = 0;
    const guard = new RecordingGuard(new AddressPolicy(), () => refusals++, log);
    await loadPixel(new AddressPolicy(), guard);
    await loadPixel(new AddressPolicy(), guard);
    expect(refusals).to.equal(2);
    expect(warnings).to.have.length(1);
    expect(warnings[0]![1]).to.include({ host: '127.0.0.1' });
    expect(JSON.stringify(warnings)).not.to.contain('pixel.gif');
  });

  it('says why an address is refused; metadata and link-local whatever the configuration', async () => {
    const open = new RecordingGuard(new AddressPolicy({ allowLoopback: true, allowPrivate: true }));
    expect(await open.refusal('169.254.169.254')).to.contain('link-local');
    expect(await open.refusal('100.100.100.200')).to.contain('metadata');
    expect(await open.refusal('127.0.0.1')).to.equal(undefined);
    const strict = new RecordingGuard(new AddressPolicy());
    expect(await strict.refusal('localhost')).to.contain('loopback');
    expect(await strict.refusal('10.1.2.3')).to.contain('private');
    // A name that resolves nowhere may still reach something in the browser (foo.localhost): refused unless loopback is allowed.
    expect(await strict.refusal('no-such-host.invalid')).to.contain('does not resolve');
    expect(await open.refusal('no-such-host.invalid')).to.equal(undefined);
  });

  it('refuses to start a recording on a refused address, without taking a browser', async () => {
    const manager = rig.manager({ policy: new AddressPolicy() });
    const leases = rig.leases.length;
    const err = await manager.start({ startUrl: `${site.url}/login` }).then(
      () => expect.fail('the recording should have been refused'),
      (e: unknown) => e as AppError,
    );
    expect(err).to.be.instanceOf(AppError);
    expect(err.code).to.equal('target_forbidden');
    expect(err.message).to.contain('loopback').and.contain('ALLOW_LOOPBACK_TARGETS=true');
    expect(err.details?.[0]?.path).to.equal('.startUrl');
    expect(rig.leases.length).to.equal(leases);
    expect(site.counters()).to.deep.equal({});
  });

  it('fails a scripted goto to a refused address with target_forbidden naming the action', async () => {
    const manager = rig.manager();
    const err = await manager.start({ startUrl: `${site.url}/login`, actions: [{ type: 'goto', url: `${site.url}/login` }, { type: 'goto', url: 'http://169.254.169.254/latest/meta-data/' }] }).then(
      () => expect.fail('the recording should have been refused'),
      (e: unknown) => e as AppError,
    );
    expect(err.code).to.equal('target_forbidden');
    expect(err.message).to.contain('link-local');
    expect(err.details?.[0]?.path).to.equal('[1].url');
  });

  describe('through the API', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp();
    });
    after(async () => {
      await app?.close();
    });

    it('answers 422 target_forbidden for a recording of the cloud metadata address, loopback allowed or not', async () => {
      for (const startUrl of ['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/']) {
        const res = await fetch(`${app.url}/v1/recordings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ startUrl }) });
        expect(res.status, startUrl).to.equal(422);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).to.equal('target_forbidden');
        expect(body.error.message).to.match(/link-local|metadata/);
      }
    });

    it('records a site on loopback by default even where replays may not go; RECORDING_ALLOW_LOCAL_TARGETS=false applies the replay policy', async () => {
      const post = (base: string) => fetch(`${base}/v1/recordings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ startUrl: `${site.url}/login` }) });
      const open = await startTestApp({ allowLoopback: false });
      try {
        const res = await post(open.url);
        expect(res.status).to.equal(201);
        const rec = (await res.json()) as { id: string };
        expect((await fetch(`${open.url}/v1/recordings/${rec.id}/stop`, { method: 'POST' })).status).to.equal(201);
      } finally {
        await open.close();
      }
      const strict = await startTestApp({ allowLoopback: false, recordingAllowLocal: false });
      try {
        const res = await post(strict.url);
        expect(res.status).to.equal(422);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).to.equal('target_forbidden');
        expect(body.error.message).to.contain('ALLOW_LOOPBACK_TARGETS=true');
      } finally {
        await strict.close();
      }
    });
  });
});
