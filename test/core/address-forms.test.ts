import { expect } from 'chai';
import { AddressPolicy, AppError } from '../../core/index.js';
import { RecordingGuard } from '../../recorder/recording-guard.js';
import { HttpClient } from '../../replayer/http-client.js';
import { RunJar } from '../../replayer/run-jar.js';
import { newJar } from '../../replayer/cookie-jar.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { recorderRig, type RecorderRig } from '../recorder/helpers.js';
import { api } from '../api/helpers.js';

const strict = new AddressPolicy();
const loopbackOk = new AddressPolicy({ allowLoopback: true });
const open = new AddressPolicy({ allowLoopback: true, allowPrivate: true });

/** The error checkHost throws, or undefined when the host is allowed. */
async function hostError(policy: AddressPolicy, host: string): Promise<AppError | undefined> {
  return policy.checkHost(host).then(
    () => undefined,
    (e: unknown) => e as AppError,
  );
}

/**
 * Names and address forms that Node and a browser read differently, or that carry another address
 * inside them (issue 16, items 2 and 3): each is judged by where a browser or the kernel really goes.
 */
describe('core/address-policy: host names a browser resolves its own way, and IPv6 forms that carry IPv4', function () {
  this.timeout(120_000);

  describe('host names (item 2)', () => {
    const localNames = ['localhost', 'LOCALHOST', 'localhost.', 'localhost..', 'foo.localhost', 'a.b.localhost', 'foo.localhost.', 'Foo.LocalHost'];
    // What WHATWG URL parsing makes of numeric hosts (Chromium's GURL does the same).
    const numeric: Array<[string, string]> = [
      ['http://2130706433/', '127.0.0.1'],
      ['http://0x7f.1/', '127.0.0.1'],
      ['http://017700000001/', '127.0.0.1'],
      ['http://127.1/', '127.0.0.1'],
      ['http://0x7f.0.0.1./', '127.0.0.1'],
      ['http://%31%32%37.0.0.1/', '127.0.0.1'],
      ['http://0/', '0.0.0.0'],
      ['http://localhost%2e/', 'localhost.'],
      ['http://[::127.0.0.1]/', '[::7f00:1]'],
    ];

    it('URL parsing already turns numeric IPv4 forms into dotted quads (the policy sees those)', () => {
      for (const [url, host] of numeric) expect(new URL(url).hostname, url).to.equal(host);
    });

    it('refuses localhost names (which Chromium answers with loopback itself) unless loopback is allowed', async () => {
      for (const name of localNames) {
        const err = await hostError(strict, name);
        expect(err?.code, name).to.equal('target_forbidden');
        expect(err!.message, name).to.contain('ALLOW_LOOPBACK_TARGETS=true');
        expect(await hostError(loopbackOk, name), name).to.equal(undefined);
      }
    });

    it('refuses numeric IPv4 forms by the address they stand for, given raw or from a URL', async () => {
      for (const host of ['2130706433', '0x7f.1', '017700000001', '127.1', '0', '0x7f.0.0.1.', '[::7f00:1]', '[::ffff:127.0.0.1]', '::1', ...numeric.map(([u]) => new URL(u).hostname)]) {
        expect((await hostError(strict, host))?.code, host).to.equal('target_forbidden');
        expect(await hostError(loopbackOk, host), host).to.equal(undefined);
      }
      for (const host of ['2852039166', '0xa9.0xfe.0xa9.0xfe', '0251.0376.0251.0376', '169.254.43518']) {
        expect((await hostError(open, host))?.message, host).to.contain('link-local');
      }
    });

    it('refuses a name that resolves nowhere unless loopback is allowed (the browser may resolve it its own way)', async () => {
      const err = await hostError(strict, 'no-such-host.invalid');
      expect(err?.code).to.equal('target_forbidden');
      expect(err!.message).to.contain('does not resolve').and.contain('ALLOW_LOOPBACK_TARGETS=true');
      expect((await hostError(loopbackOk, 'no-such-host.invalid'))?.code).to.equal('target_unreachable');
      expect((await hostError(strict, 'exa mple.com'))?.code).to.equal('target_forbidden');
    });

    it('the recording guard refuses them by URL, as a recording start URL would be', async () => {
      const guard = new RecordingGuard(strict);
      for (const url of ['http://foo.localhost:8080/', 'http://a.b.localhost/', 'http://localhost.:8080/', 'http://2130706433/', 'http://0x7f.1/', 'http://0/', 'http://[::ffff:7f00:1]/']) {
        const err = await guard.check(url, '.startUrl').then(
          () => undefined,
          (e: unknown) => e as AppError,
        );
        expect(err?.code, url).to.equal('target_forbidden');
      }
    });

    describe('against a real site, Chromium and the HTTP client', () => {
      let site: FixtureSite;
      let rig: RecorderRig;
      let port: string;
      before(async () => {
        site = await startFixtureSite({ pollIntervalMs: 60_000 });
        rig = await recorderRig('address-forms');
        port = new URL(site.url).port;
      });
      after(async () => {
        await rig?.close();
        await site?.close();
      });

      it('Chromium really reaches this host through *.localhost and localhost. (why they count as loopback)', async () => {
        const lease = await rig.pool.lease();
        try {
          const page = await lease.context.newPage();
          for (const host of ['foo.localhost', 'a.b.localhost', 'localhost.']) {
            const res = await page.goto(`http://${host}:${port}/login`);
            expect(res?.status(), host).to.equal(200);
          }
        } finally {
          await lease.release();
        }
        expect(site.counters()['GET /login'] ?? 0).to.be.at.least(3);
      });

      it('a recording manager with loopback refused refuses them as start URLs, without taking a browser', async () => {
        const manager = rig.manager({ policy: new AddressPolicy({ allowPrivate: true }) });
        const before = site.counters();
        const leases = rig.leases.length;
        for (const startUrl of [`http://foo.localhost:${port}/login`, `http://a.b.localhost:${port}/login`, `http://localhost.:${port}/login`, `http://2130706433:${port}/login`, `http://0x7f.1:${port}/login`, `http://0:${port}/login`]) {
          const err = await manager.start({ startUrl }).then(
            () => expect.fail(`${startUrl} should have been refused`),
            (e: unknown) => e as AppError,
          );
          expect(err.code, startUrl).to.equal('target_forbidden');
          expect(err.details?.[0]?.path, startUrl).to.equal('.startUrl');
        }
        expect(rig.leases.length).to.equal(leases);
        expect(site.counters()).to.deep.equal(before);
      });

      it('the HTTP client refuses localhost names at connect time when loopback is refused, and reaches them like a browser when allowed', async () => {
        const origin = `http://foo.localhost:${port}`;
        const send = (policy: AddressPolicy) => {
          const client = new HttpClient({ policy, maxResponseBytes: 1 << 20 });
          return client
            .send({ method: 'GET', url: `${origin}/login`, headers: {} }, { jar: RunJar.of(newJar()), origins: new Set([origin]), maxHops: 0, signal: new AbortController().signal, timeoutMs: 5000 })
            .then(
              (r) => ({ status: r.status, code: undefined as string | undefined }),
              (e: unknown) => ({ status: 0, code: (e as { code?: string }).code }),
            )
            .finally(() => client.close());
        };
        const before = site.counters()['GET /login'] ?? 0;
        expect((await send(strict)).code).to.equal('target_forbidden');
        expect(site.counters()['GET /login'] ?? 0).to.equal(before);
        expect((await send(loopbackOk)).status).to.equal(200);
        expect(site.counters()['GET /login'] ?? 0).to.equal(before + 1);
      });

      it('through the API: 422 target_forbidden for those start URLs when recordings follow a loopback-refusing policy', async () => {
        const app: TestApp = await startTestApp({ allowLoopback: false, recordingAllowLocal: false });
        try {
          const before = site.counters();
          for (const startUrl of [`http://foo.localhost:${port}/login`, `http://a.b.localhost:${port}/`, `http://localhost.:${port}/`, `http://2130706433:${port}/`, `http://0x7f.1:${port}/`]) {
            const res = await api(app.url, '/v1/recordings', { body: { startUrl } });
            expect(res.status, `${startUrl}: ${res.text}`).to.equal(422);
            expect(res.json.error.code).to.equal('target_forbidden');
          }
          expect(site.counters()).to.deep.equal(before);
        } finally {
          await app.close();
        }
      });
    });
  });

  describe('IPv6 forms that carry an IPv4 address (item 3)', () => {
    // 169.254.169.254 = a9fe:a9fe; 127.0.0.1 = 7f00:1; 10.0.0.1 = a00:1; 93.184.216.34 = 5db8:d822.
    // Teredo: 2001:0:<server v4>:<flags>:<port>:<client v4 with every bit flipped>.
    const alwaysRefused = [
      '::a9fe:a9fe',
      '::169.254.169.254',
      '::ffff:169.254.169.254',
      '::ffff:0:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::169.254.169.254',
      '64:ff9b:1::a9fe:a9fe',
      '2002:a9fe:a9fe::1',
      '2001:0:5db8:d822::5601:5601',
      '2001:0:a9fe:a9fe::a247:27dd',
      '::6464:64c8', // 100.100.100.200, a metadata address
    ];
    const loopbackForms = ['::7f00:1', '::127.0.0.2', '::ffff:0:7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::', '2001:0:5db8:d822::80ff:fffe'];
    const privateForms = ['::a00:1', '::192.168.1.1', '64:ff9b::a00:1', '2002:c0a8:101::1', '2001:0:5db8:d822::f5ff:fffe'];

    it('always refuses those that carry a link-local or metadata address', () => {
      for (const a of alwaysRefused) {
        expect(strict.refusal(a), a).to.match(/link-local|metadata/);
        expect(open.refusal(a), a).to.match(/link-local|metadata/);
      }
    });

    it('refuses loopback and private ones as the settings say', () => {
      for (const a of loopbackForms) {
        expect(strict.refusal(a), a).to.contain('loopback');
        expect(loopbackOk.refusal(a), a).to.equal(undefined);
      }
      for (const a of privateForms) {
        expect(loopbackOk.refusal(a), a).to.contain('private');
        expect(open.refusal(a), a).to.equal(undefined);
      }
      // IPv6's own loopback and unspecified addresses stay what they are
      expect(strict.refusal('::1')).to.contain('loopback');
      expect(strict.refusal('::')).to.contain('loopback');
      expect(loopbackOk.refusal('::1')).to.equal(undefined);
    });

    it('lets through those that carry a public address (NAT64 is how IPv6-only networks reach IPv4 sites)', () => {
      for (const a of ['64:ff9b::5db8:d822', '64:ff9b::93.184.216.34', '2002:5db8:d822::1', '::ffff:93.184.216.34', '2606:4700::6810:84e5']) {
        expect(strict.refusal(a), a).to.equal(undefined);
      }
    });

    it('refuses them as URL hosts, and through the API as a recording start URL (loopback allowed for recordings)', async () => {
      for (const host of ['[::a9fe:a9fe]', '[::169.254.169.254]', '[64:ff9b::a9fe:a9fe]', '[2002:a9fe:a9fe::]']) {
        const err = await hostError(open, new URL(`http://${host}/`).hostname);
        expect(err?.code, host).to.equal('target_forbidden');
      }
      const app = await startTestApp();
      try {
        for (const startUrl of ['http://[::a9fe:a9fe]/latest/meta-data/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:a9fe:a9fe::1]/']) {
          const res = await api(app.url, '/v1/recordings', { body: { startUrl } });
          expect(res.status, `${startUrl}: ${res.text}`).to.equal(422);
          expect(res.json.error.code).to.equal('target_forbidden');
          expect(res.json.error.message).to.contain('link-local');
        }
      } finally {
        await app.close();
      }
    });
  });
});
