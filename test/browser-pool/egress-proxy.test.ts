import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { expect } from 'chai';
import { BrowserPool, EgressProxy, type EgressRules, type Lease } from '../../browser-pool/index.js';
import { AddressPolicy } from '../../core/index.js';
import { OnlySitePolicy, close, listen, settle, startRefusedTarget, startVectorSite, type RefusedTarget, type VectorSite } from './egress-sites.js';
import { quiet } from './helpers.js';

/** Sends raw bytes to host:port and collects what comes back until the peer closes (or `ms` passes). */
function exchange(port: number, text: string, ms = 3000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data, closed: false });
    }, ms);
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
    s.write(text);
  });
}

function refusals(): { list: Array<{ host: string; port: number; why: string }>; rules: (policy: AddressPolicy) => EgressRules } {
  const list: Array<{ host: string; port: number; why: string }> = [];
  return { list, rules: (policy) => ({ policy, onRefused: (host, port, why) => list.push({ host, port, why }) }) };
}

/**
 * The per-lease forward proxy: every connection of a context with `egress` goes through it and is
 * checked, redirect hops included (route() is never asked about those). These leases have no
 * route() guard at all: the proxy alone keeps the refused target at zero connections.
 */
describe('browser-pool: the egress proxy checks every connection of a lease', function () {
  this.timeout(120_000);
  const { logger, registry } = quiet();
  let pool: BrowserPool;
  let target: RefusedTarget;
  let site: VectorSite;

  before(async () => {
    pool = new BrowserPool({ logger, registry, max: 1, contextsPerBrowser: 2 });
    target = await startRefusedTarget('127.0.0.1');
    site = await startVectorSite(() => target.url, '127.0.0.2');
  });
  after(async () => {
    await pool?.drain();
    await site?.close();
    await target?.close();
  });
  beforeEach(() => target.reset());

  async function withLease<T>(egress: EgressRules | undefined, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = await pool.lease(egress ? { egress } : {});
    try {
      return await fn(lease);
    } finally {
      await lease.release();
    }
  }

  it('control: without egress a lease connects directly, and a 302 takes Chromium to the refused server', async () => {
    await withLease(undefined, async (lease) => {
      const page = await lease.context.newPage();
      const res = await page.goto(`${site.url}/redirect`);
      expect(await res?.text()).to.contain(target.marker);
    });
    expect(target.connections()).to.be.at.least(1);
  });

  const vectors: Array<{ name: string; path: string; done: (title: string) => boolean }> = [
    { name: 'a 302 redirect', path: '/redirect', done: () => true },
    { name: 'a meta refresh', path: '/meta', done: () => true },
    { name: 'a window.location assignment', path: '/location', done: () => true },
    { name: 'fetch()', path: '/fetch', done: (t) => t.startsWith('fetch') },
    { name: 'a WebSocket', path: '/ws', done: (t) => t.startsWith('ws ') },
    { name: 'an iframe', path: '/iframe', done: () => true },
  ];
  for (const v of vectors) {
    it(`${v.name} never reaches a refused address: the browser sees a failure, never the target's answer`, async () => {
      const r = refusals();
      const { texts, error } = await withLease(r.rules(new OnlySitePolicy()), async (lease) => {
        const page = await lease.context.newPage();
        const error = await page.goto(`${site.url}${v.path}`).then(
          () => undefined,
          (e: Error) => e.message,
        );
        await settle(() => r.list.length > 0, 5000);
        await settle(async () => v.done(await page.title().catch(() => '')), 5000);
        await page.waitForTimeout(300);
        const texts = await Promise.all(page.frames().map((f) => f.content().catch(() => '')));
        texts.push(await page.title().catch(() => ''));
        return { texts, error };
      });
      expect(target.connections(), 'connections to the refused server').to.equal(0);
      expect(r.list.map((x) => `${x.host}:${x.port}`)).to.include(`127.0.0.1:${target.port}`);
      expect(r.list[0]!.why).to.contain('loopback');
      expect(texts.join('\n')).not.to.contain(target.marker);
      if (v.path === '/redirect') expect(error).to.match(/ERR_EMPTY_RESPONSE/);
      if (v.path === '/fetch') expect(texts.at(-1)).to.equal('fetch failed');
      if (v.path === '/ws') expect(texts.at(-1)).to.equal('ws failed');
    });
  }

  it('an https (CONNECT) request to a refused address fails as a tunnel failure, with no connection made', async () => {
    const r = refusals();
    const error = await withLease(r.rules(new OnlySitePolicy()), async (lease) => {
      const page = await lease.context.newPage();
      return page.goto(`https://127.0.0.1:${target.port}/secret`).then(
        () => 'loaded',
        (e: Error) => e.message,
      );
    });
    expect(error).to.match(/ERR_TUNNEL_CONNECTION_FAILED/);
    expect(target.connections()).to.equal(0);
    // Chromium tries a failed tunnel again: each attempt is refused.
    expect(r.list.length).to.be.at.least(1);
    expect(new Set(r.list.map((x) => `${x.host}:${x.port}`))).to.deep.equal(new Set([`127.0.0.1:${target.port}`]));
  });

  it('refuses a 302 to the cloud metadata address (which Chromium would otherwise never proxy) whatever the policy allows', async () => {
    const r = refusals();
    const error = await withLease(r.rules(new AddressPolicy({ allowLoopback: true, allowPrivate: true })), async (lease) => {
      const page = await lease.context.newPage();
      return page.goto(`${site.url}/redirect-metadata`).then(
        () => 'loaded',
        (e: Error) => e.message,
      );
    });
    expect(error).to.match(/ERR_EMPTY_RESPONSE/);
    expect(r.list.map((x) => `${x.host}:${x.port}`)).to.deep.equal(['169.254.169.254:80']);
    expect(r.list[0]!.why).to.contain('link-local');
  });

  it('a page\'s WebRTC sends no UDP past the proxy: no STUN packet reaches the address it names, no candidate is gathered', async () => {
    const udp = createSocket('udp4');
    let packets = 0;
    udp.on('message', () => packets++);
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    try {
      const stun = `stun:127.0.0.1:${udp.address().port}`;
      for (const egress of [refusals().rules(new AddressPolicy({ allowLoopback: true })), undefined]) {
        const candidates = await withLease(egress, async (lease) => {
          const page = await lease.context.newPage();
          await page.setContent('<p>call</p>');
          return page.evaluate(async (urls) => {
            const pc = new RTCPeerConnection({ iceServers: [{ urls }] });
            pc.createDataChannel('x');
            const found: string[] = [];
            pc.onicecandidate = (e) => void (e.candidate && found.push(e.candidate.candidate));
            await pc.setLocalDescription(await pc.createOffer());
            await new Promise((r) => setTimeout(r, 2000));
            pc.close();
            return found;
          }, stun);
        });
        expect(candidates, egress ? 'with egress rules' : 'without').to.deep.equal([]);
      }
      expect(packets, 'STUN packets that reached the UDP server').to.equal(0);
    } finally {
      udp.close();
    }
  });

  it('lets allowed traffic through: redirects, loopback names the policy allows, WebSockets, request bodies', async () => {
    const r = refusals();
    await withLease(r.rules(new AddressPolicy({ allowLoopback: true })), async (lease) => {
      const page = await lease.context.newPage();
      const res = await page.goto(`${site.url}/redirect-local`);
      expect(res?.status()).to.equal(200);
      expect(res?.url()).to.equal(`${site.url}/landing`);
      expect(await page.textContent('#landed')).to.equal('landed');
      // localhost names are judged (and resolved) by the proxy: it connects to 127.0.0.1 itself.
      const viaName = await page.goto(`http://localhost:${target.port}/`);
      expect(await viaName?.text()).to.contain(target.marker);
      await page.goto(`${site.url}/ws-here`);
      await settle(async () => (await page.title()).startsWith('ws '), 5000);
      expect(await page.title()).to.equal('ws got hello from the allowed site');
      await page.goto(`${site.url}/`);
      const echoed = await page.evaluate(async () => (await fetch('/echo', { method: 'POST', body: 'x'.repeat(70_000) })).json());
      expect(echoed).to.deep.equal({ method: 'POST', body: 'x'.repeat(70_000) });
    });
    expect(r.list).to.deep.equal([]);
    expect(target.connections()).to.be.at.least(1);
  });

  describe('the proxy on its own', () => {
    let upstream: Server;
    let upstreamPort: number;
    let seen: Array<Record<string, string | string[] | undefined>>;
    let proxy: EgressProxy;
    let proxyPort: number;
    let resolved: string[];

    before(async () => {
      seen = [];
      upstream = createServer((req, res) => {
        seen.push(req.headers);
        res.setHeader('connection', 'x-resp-hop');
        res.setHeader('x-resp-hop', '1');
        res.setHeader('keep-alive', 'timeout=77');
        res.setHeader('x-end-to-end', 'kept');
        res.end(`hello ${req.url}`);
      });
      upstreamPort = await listen(upstream, '127.0.0.2');
      resolved = [];
      // A stand-in for DNS: "rebind.invalid" is answered once with 127.0.0.2; a second lookup would say 127.0.0.1.
      const policy = new OnlySitePolicy();
      const rules: EgressRules = {
        policy: {
          resolve: async (host: string) => {
            resolved.push(host);
            if (host === 'rebind.invalid') return [{ address: resolved.filter((h) => h === host).length === 1 ? '127.0.0.2' : '127.0.0.1', family: 4 }];
            return policy.resolve(host);
          },
        },
        allow: (host, port) => (port === 1 ? `${host}:${port}: port 1 is not for us` : undefined),
      };
      proxy = new EgressProxy({ ...rules, logger });
      proxyPort = Number(new URL(await proxy.listen()).port);
    });
    after(async () => {
      await proxy?.close();
      await close(upstream);
    });

    it('answers a refused CONNECT with a short 403 and closes; no connection to the target', async () => {
      const { data, closed } = await exchange(proxyPort, `CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n\r\n`);
      expect(data).to.match(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(data).to.contain('refused by the egress proxy').and.contain('loopback');
      expect(data).not.to.contain(target.marker);
      expect(closed).to.equal(true);
      expect(target.connections()).to.equal(0);
    });

    it('refuses what the owner\'s allow() refuses, before any lookup', async () => {
      const before = resolved.length;
      const { data } = await exchange(proxyPort, 'CONNECT 127.0.0.2:1 HTTP/1.1\r\nHost: 127.0.0.2:1\r\n\r\n');
      expect(data).to.match(/^HTTP\/1\.1 403 /).and.contain('port 1 is not for us');
      expect(resolved.length).to.equal(before);
    });

    it('closes a refused plain-HTTP request without an answer (a browser shows a network error, not a page)', async () => {
      const { data, closed } = await exchange(proxyPort, `GET http://127.0.0.1:${target.port}/secret HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n\r\n`);
      expect(closed).to.equal(true);
      expect(data).to.equal('');
      expect(target.connections()).to.equal(0);
    });

    it('forwards allowed requests over one kept-alive connection, dropping hop-by-hop and Proxy-* headers both ways', async () => {
      seen.length = 0;
      const req = (path: string) =>
        `GET http://127.0.0.2:${upstreamPort}${path} HTTP/1.1\r\nHost: 127.0.0.2:${upstreamPort}\r\nProxy-Connection: keep-alive\r\nProxy-Authorization: Basic c2VjcmV0\r\n` +
        'Connection: keep-alive, x-hop\r\nX-Hop: drop me\r\nKeep-Alive: 300\r\nTE: trailers\r\nX-End-To-End: keep me\r\n\r\n';
      const { data } = await exchange(proxyPort, req('/one') + req('/two'), 1500);
      expect(data.match(/HTTP\/1\.1 200 OK/g)).to.have.length(2);
      expect(data).to.contain('hello /one').and.contain('hello /two');
      const head = data.split('\r\n\r\n')[0]!.toLowerCase();
      expect(head).to.contain('x-end-to-end: kept');
      expect(head).not.to.contain('x-resp-hop');
      expect(head).not.to.contain('timeout=77');
      expect(seen).to.have.length(2);
      for (const h of seen) {
        expect(h['x-end-to-end']).to.equal('keep me');
        expect(h.host).to.equal(`127.0.0.2:${upstreamPort}`);
        for (const gone of ['proxy-connection', 'proxy-authorization', 'x-hop', 'keep-alive', 'te']) expect(h, gone).not.to.have.property(gone);
      }
    });

    it('resolves a name once and connects to the address it checked (no second lookup to rebind)', async () => {
      seen.length = 0;
      const { data } = await exchange(proxyPort, `GET http://rebind.invalid:${upstreamPort}/r HTTP/1.1\r\nHost: rebind.invalid:${upstreamPort}\r\nConnection: close\r\n\r\n`);
      expect(data).to.match(/^HTTP\/1\.1 200 OK/).and.contain('hello /r');
      expect(resolved.filter((h) => h === 'rebind.invalid')).to.have.length(1);
      expect(seen[0]?.host).to.equal(`rebind.invalid:${upstreamPort}`);
      expect(target.connections()).to.equal(0);
    });

    it('close() cuts open tunnels and stops listening', async () => {
      const own = new EgressProxy({ policy: new OnlySitePolicy(), logger });
      const port = Number(new URL(await own.listen()).port);
      const tunnel = exchange(port, `CONNECT 127.0.0.2:${upstreamPort} HTTP/1.1\r\nHost: 127.0.0.2:${upstreamPort}\r\n\r\n`, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      await own.close();
      const { data, closed } = await tunnel;
      expect(data).to.match(/^HTTP\/1\.1 200 /);
      expect(closed).to.equal(true);
      const after = await exchange(port, 'GET / HTTP/1.1\r\n\r\n', 1000);
      expect(after.data).to.equal('');
    });
  });
});
