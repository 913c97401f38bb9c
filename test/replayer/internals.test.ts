import { expect } from 'chai';
import type { Variable } from '../../core/index.js';
import { AddressPolicy } from '../../core/index.js';
import { keyOverlap, retryAfterMs } from '../../replayer/break-detector.js';
import { CircuitBreaker } from '../../replayer/circuit-breaker.js';
import { extract, ResponseView } from '../../replayer/extract.js';
import { HttpClient, type HttpResponse } from '../../replayer/http-client.js';
import { RunJar } from '../../replayer/run-jar.js';
import { plainPath } from '../../replayer/compiled-workflow.js';
import { newJar } from '../../replayer/cookie-jar.js';
import { VariableScope } from '../../replayer/variable-scope.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';

function scope(vars: Variable[], inputs: Record<string, unknown>): VariableScope {
  return new VariableScope(new Map(vars.map((v) => [v.name, v])), (n) => inputs[n]);
}
const input = (name: string, extra: Partial<Variable> = {}): Variable => ({ name, source: { kind: 'input', input: name }, secret: false, description: '', ...extra });

function response(body: string, contentType: string, extra: Partial<HttpResponse> = {}): ResponseView {
  return new ResponseView({ status: 200, headers: { 'content-type': contentType }, url: 'http://x.test/a/b/c?p=1', body: Buffer.from(body), contentType, locations: [], hopUrls: [], setCookies: new Map(), ...extra });
}

describe('replayer internals', () => {
  describe('templating', () => {
    const s = scope([input('q'), input('n'), input('flag'), input('tok', { transform: { prefix: 'Bearer ' } }), input('b64', { transform: { encoding: 'base64' } })], {
      q: 'a b&c/d',
      n: 42,
      flag: true,
      tok: 'xyz',
      b64: 'user:pw',
    });

    it('restored session values win over what the run held, set() wins over them, a second restore keeps the first one\'s others', () => {
      const extracted = (name: string): Variable => ({ name, source: { kind: 'extract', step: 's1', extractor: { type: 'json', path: `$.${name}` } }, secret: false, description: '' });
      const v = scope([extracted('csrf'), extracted('other'), extracted('only_first')], {});
      v.set('csrf', 'stale');
      v.restore({ csrf: 'c1', only_first: 'f1' });
      expect(v.raw('csrf')).to.equal('c1');
      expect(v.has('only_first')).to.equal(true);
      expect(v.has('other')).to.equal(false);
      expect(() => v.raw('other')).to.throw(/was not extracted/);
      v.set('csrf', 'fresh');
      expect(v.raw('csrf')).to.equal('fresh');
      v.restore({ csrf: 'c2' });
      expect(v.raw('csrf')).to.equal('c2');
      expect(v.raw('only_first')).to.equal('f1');
    });

    it('percent-encodes values in URLs but keeps a whole-URL value as is', () => {
      expect(s.render('http://h.test/s?q={{q}}&n={{n}}', 'url')).to.equal('http://h.test/s?q=a%20b%26c%2Fd&n=42');
      expect(s.render('{{q}}', 'url')).to.equal('a b&c/d');
    });

    it('puts raw values in headers (transform applied) and strips line breaks', () => {
      expect(s.render('{{tok}}', 'header')).to.equal('Bearer xyz');
      expect(s.render('Basic {{b64}}', 'header')).to.equal(`Basic ${Buffer.from('user:pw').toString('base64')}`);
      expect(scope([input('evil')], { evil: 'a\r\nX-Injected: 1' }).render('{{evil}}', 'header')).to.equal('a X-Injected: 1');
    });

    it('a JSON string exactly {{name}} takes the value type; embedded ones become text', () => {
      expect(s.renderJson({ n: '{{n}}', f: '{{flag}}', t: 'n={{n}}', list: ['{{q}}'] })).to.deep.equal({ n: 42, f: true, t: 'n=42', list: ['a b&c/d'] });
    });

    it('generated values stay the same within a run', () => {
      const g = scope([{ name: 'u', source: { kind: 'generated', generator: 'uuid' }, secret: false, description: '' }], {});
      expect(g.render('{{u}}', 'text')).to.equal(g.render('{{u}}', 'text'));
    });
  });

  describe('extractors', () => {
    it('json path, header, html input and meta, regex, url and location parts', () => {
      const json = response('{"data":{"items":[{"id":"i1"}],"n":3}}', 'application/json', { headers: { 'x-req': 'r1' } });
      expect(extract({ type: 'json', path: '$.data.items[0].id' }, json)).to.equal('i1');
      expect(extract({ type: 'json', path: "$['data'].n" }, json)).to.equal(3);
      expect(extract({ type: 'json', path: '$.nope' }, json)).to.equal(undefined);
      expect(extract({ type: 'header', name: 'x-req' }, json)).to.equal('r1');
      const html = response('<html><head><meta name="csrf-token" content="m1"><meta property="og:x" content="p1"></head><form><input type="hidden" name="_csrf" value="h1"></form><script>var t = "tok_42";</script></html>', 'text/html');
      expect(extract({ type: 'html_meta', name: 'csrf-token' }, html)).to.equal('m1');
      expect(extract({ type: 'html_meta', name: 'og:x' }, html)).to.equal('p1');
      expect(extract({ type: 'html_input', name: '_csrf' }, html)).to.equal('h1');
      expect(extract({ type: 'regex', pattern: 'var t = "([^"]+)"', group: 1 }, html)).to.equal('tok_42');
      expect(extract({ type: 'url', segment: 1 }, html)).to.equal('b');
      expect(extract({ type: 'url', param: 'p' }, html)).to.equal('1');
      const redirected = response('', 'text/html', { locations: ['/next?code=c9', '/final'] });
      expect(extract({ type: 'location' }, redirected)).to.equal('/next?code=c9');
      expect(extract({ type: 'location', param: 'code' }, redirected)).to.equal('c9');
    });

    it('set_cookie falls back to the jar when the response did not set it again', () => {
      const jar = RunJar.of(newJar());
      jar.store('anon=a1; Path=/', 'http://x.test/');
      const r = response('', 'text/html');
      expect(extract({ type: 'set_cookie', name: 'anon' }, r, jar)).to.equal('a1');
      const set = response('', 'text/html', { setCookies: new Map([['anon', 'a2']]) });
      expect(extract({ type: 'set_cookie', name: 'anon' }, set, jar)).to.equal('a2');
    });
  });

  describe('break detection helpers', () => {
    it('keyOverlap tolerates path styles and empty arrays, and drops for another shape', () => {
      const rec = ['query', 'results', 'results[].id', 'results[].title', 'total'];
      expect(keyOverlap(rec, { query: 'a', results: [{ id: 1, title: 't' }], total: 1 })).to.equal(1);
      expect(keyOverlap(rec, { query: 'a', results: [], total: 0 })).to.equal(1);
      expect(keyOverlap(rec, { error: 'x', message: 'y' })).to.equal(0);
      expect(keyOverlap(['$.a.b', 'items[0].id'], { a: { b: 1 }, items: [{ id: 2 }] })).to.equal(1);
    });

    it('reads Retry-After in seconds and as a date', () => {
      expect(retryAfterMs('2')).to.equal(2000);
      expect(retryAfterMs(new Date(Date.now() + 3000).toUTCString())).to.be.within(1000, 3000);
      expect(retryAfterMs('soon')).to.equal(undefined);
    });
  });

  describe('run jar', () => {
    it('shares a stored jar until the first write, then copies it', () => {
      const base = newJar();
      base.setCookieSync('sid=s1; Path=/', 'http://x.test/');
      const stored = base.serializeSync()!;
      const a = RunJar.fromStored(stored);
      const b = RunJar.fromStored(stored);
      expect(a.header('http://x.test/p', 'http://x.test', '/p')).to.equal('sid=s1');
      a.store('sid=s2; Path=/', 'http://x.test/');
      expect(a.header('http://x.test/p', 'http://x.test', '/p')).to.equal('sid=s2');
      expect(b.header('http://x.test/p', 'http://x.test', '/p')).to.equal('sid=s1');
      expect(b.serialize()).to.equal(stored);
    });

    it('memoises the header per origin and path, and never sends a cookie outside its path', () => {
      const base = newJar();
      base.setCookieSync('a=1; Path=/', 'http://x.test/');
      base.setCookieSync('b=2; Path=/api', 'http://x.test/api/');
      const jar = RunJar.fromStored(base.serializeSync()!);
      expect(jar.header('http://x.test/api/items?q=1', 'http://x.test', '/api/items?q=1')).to.equal('b=2; a=1');
      expect(jar.header('http://x.test/app', 'http://x.test', '/app')).to.equal('a=1');
      expect(jar.header('http://x.test/api/items?q=2', 'http://x.test', '/api/items?q=2')).to.equal('b=2; a=1');
    });
  });

  describe('plainPath', () => {
    it('splits a URL without parsing it only when parsing would leave the path as written', () => {
      const o = 'http://x.test';
      expect(plainPath(`${o}/api/items/itm_1?q=a%20b&limit=10`, o)).to.equal('/api/items/itm_1?q=a%20b&limit=10');
      for (const raw of [`${o}/a/../b`, `${o}/a/./b`, `${o}/a/%2e%2E/b`, `${o}/a/..`, `${o}/a b`, `${o}/a#frag`, `${o}/a\\b`, `${o}/a?q='x'`, `${o}/é`, `${o}x/a`, `${o}:8080/a`, `${o}`]) {
        const path = plainPath(raw, o);
        expect(path, raw).to.equal(undefined);
      }
      // what it answers is what URL parsing gives
      for (const raw of [`${o}/`, `${o}/a/b.c/d..e/.f`, `${o}/~user/(x)*,;=:@!$&+`, `${o}/p%zz?%41`, `${o}/a?b?c=/d`]) {
        const parsed = new URL(raw);
        expect(plainPath(raw, o), raw).to.equal(parsed.pathname + parsed.search);
      }
    });
  });

  describe('address policy', () => {
    it('always refuses link-local and metadata, loopback and private only when allowed', () => {
      const strict = new AddressPolicy();
      const open = new AddressPolicy({ allowLoopback: true, allowPrivate: true });
      for (const a of ['169.254.169.254', 'fe80::1', '::ffff:169.254.169.254', 'fd00:ec2::254', '100.100.100.200']) {
        expect(strict.refusal(a), a).to.be.a('string');
        expect(open.refusal(a), a).to.be.a('string');
      }
      for (const a of ['127.0.0.1', '::1', '0.0.0.0', '10.1.2.3', '192.168.1.1', '172.16.0.1', 'fc00::1']) {
        expect(strict.refusal(a), a).to.be.a('string');
        expect(open.refusal(a), a).to.equal(undefined);
      }
      expect(strict.refusal('93.184.216.34')).to.equal(undefined);
      expect(strict.refusal('224.0.0.1')).to.be.a('string');
    });
  });

  describe('HttpClient checks the connected address itself', () => {
    let site: FixtureSite;
    before(async () => {
      site = await startFixtureSite({ pollIntervalMs: 60_000 });
    });
    after(async () => {
      await site?.close();
    });

    for (const host of ['127.0.0.1', 'localhost']) {
      it(`refuses ${host} at connect time when loopback is not allowed (even if the origin is listed)`, async () => {
        const url = site.url.replace('127.0.0.1', host);
        const client = new HttpClient({ policy: new AddressPolicy({ allowLoopback: false }), maxResponseBytes: 1 << 20 });
        const before = site.counters();
        try {
          const err = await client
            .send({ method: 'GET', url: `${url}/login`, headers: {} }, { jar: RunJar.of(newJar()), origins: new Set([new URL(url).origin]), maxHops: 0, signal: new AbortController().signal, timeoutMs: 5000 })
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          expect((err as { code?: string })?.code).to.equal('target_forbidden');
          expect(site.counters()).to.deep.equal(before);
        } finally {
          await client.close();
        }
      });
    }

    it('follows recorded redirect hops within the origins, with each hop Set-Cookie in the jar', async () => {
      const client = new HttpClient({ policy: new AddressPolicy({ allowLoopback: true }), maxResponseBytes: 1 << 20 });
      try {
        const jar = RunJar.of(newJar());
        const res = await client.send({ method: 'GET', url: `${site.url}/`, headers: {} }, { jar, origins: new Set([site.url]), maxHops: 1, signal: new AbortController().signal, timeoutMs: 5000 });
        expect(res.status).to.equal(200);
        expect(res.url).to.equal(`${site.url}/login`);
        expect(res.locations).to.deep.equal(['/login']);
        expect(jar.value(`${site.url}/`, 'anon_id')).to.be.a('string');
        const stop = await client.send({ method: 'GET', url: `${site.url}/`, headers: {} }, { jar, origins: new Set([site.url]), maxHops: 0, signal: new AbortController().signal, timeoutMs: 5000 });
        expect(stop.status).to.equal(302);
      } finally {
        await client.close();
      }
    });

    it('caps the response size', async () => {
      const client = new HttpClient({ policy: new AddressPolicy({ allowLoopback: true }), maxResponseBytes: 100 });
      try {
        const err = await client.send({ method: 'GET', url: `${site.url}/login`, headers: {} }, { jar: RunJar.of(newJar()), origins: new Set([site.url]), maxHops: 0, signal: new AbortController().signal, timeoutMs: 5000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((err as { kind?: string })?.kind).to.equal('too_large');
      } finally {
        await client.close();
      }
    });
  });

  describe('circuit breaker', () => {
    it('opens after N failures, lets one trial through after resetMs, closes on success', () => {
      let now = 0;
      const states: string[] = [];
      const b = new CircuitBreaker({ failureThreshold: 2, resetMs: 1000, clock: () => now, onState: (_o, s) => states.push(s) });
      b.check('o');
      b.failure('o');
      b.check('o');
      b.failure('o');
      expect(() => b.check('o')).to.throw(/failed 2 times/);
      now = 1500;
      b.check('o');
      expect(() => b.check('o')).to.throw();
      b.success('o');
      b.check('o');
      expect(states).to.deep.equal(['open', 'half_open', 'closed']);
    });
  });
});
