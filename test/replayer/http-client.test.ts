import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { isAppError } from '../../core/index.js';
import { AddressPolicy } from '../../core/index.js';
import { HttpClient, TransportError, type SendOptions } from '../../replayer/http-client.js';
import { RunAbort } from '../../replayer/run-abort.js';
import { RunJar } from '../../replayer/run-jar.js';
import { newJar } from '../../replayer/cookie-jar.js';

/**
 * The HTTP runner's transport against a plain local server whose every answer the test writes:
 * compressed bodies, bodies past the cap with and without a declared length, redirects, slow
 * and cut-off answers, aborts. Asserts on what the server saw as well as on what came back.
 */
describe('HttpClient transport', function () {
  this.timeout(20_000);
  const CAP = 1000;
  let server: Server;
  let origin: string;
  let client: HttpClient;
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  before(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const route = routes.get(req.url!.split('?')[0]!);
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    server.on('connection', (s: Socket) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    client = new HttpClient({ policy: new AddressPolicy({ allowLoopback: true }), maxResponseBytes: CAP });
    seen.length = 0;
    connections = 0;
    routes.clear();
  });
  afterEach(async () => {
    await client.close();
    for (const s of sockets) s.destroy();
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const opts = (extra: Partial<SendOptions> = {}): SendOptions => ({ jar: RunJar.of(newJar()), origins: new Set([origin]), maxHops: 0, timeoutMs: 5000, ...extra });
  const get = (path: string, extra: Partial<SendOptions> = {}) => client.send({ method: 'GET', url: `${origin}${path}`, headers: {} }, opts(extra));
  const failure = (p: Promise<unknown>): Promise<TransportError> =>
    p.then(
      () => expect.fail('the request should have failed'),
      (e: unknown) => e as TransportError,
    );

  it('undoes gzip, br, deflate and raw deflate, and says what it asked for', async () => {
    const text = JSON.stringify({ hello: 'world', n: [1, 2, 3] });
    const encoders: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, br: brotliCompressSync, deflate: deflateSync, 'deflate-raw': deflateRawSync };
    let acceptEncoding: string | undefined;
    for (const [name, encode] of Object.entries(encoders)) {
      routes.set(`/${name}`, (req, res) => {
        acceptEncoding = req.headers['accept-encoding'];
        const body = encode(Buffer.from(text));
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-encoding': name === 'deflate-raw' ? 'deflate' : name, 'content-length': body.length }).end(body);
      });
      const res = await get(`/${name}`);
      expect(res.body.toString('utf8'), name).to.equal(text);
      expect(res.contentType).to.equal('application/json');
    }
    expect(acceptEncoding).to.equal('gzip, deflate, br');
  });

  it('refuses a body past the cap, declared or chunked, and the next request still works', async () => {
    routes.set('/declared', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': CAP + 1 }).end('x'.repeat(CAP + 1)));
    routes.set('/chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 5; i++) res.write('y'.repeat(300));
      res.end();
    });
    routes.set('/small', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    for (const path of ['/declared', '/chunked']) {
      const err = await failure(get(path));
      expect(err, path).to.be.instanceOf(TransportError);
      expect(err.kind, path).to.equal('too_large');
      expect(err.message).to.contain(path).and.contain(String(CAP));
    }
    const ok = await get('/small');
    expect(ok.body.toString()).to.equal('ok');
    // A body just at the cap is fine.
    routes.set('/at-cap', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('z'.repeat(CAP)));
    expect((await get('/at-cap')).body.length).to.equal(CAP);
  });

  it('drops the body of a redirect it follows (no cap, connections kept) but keeps a final one', async () => {
    routes.set('/moved', (_req, res) => res.writeHead(302, { location: '/target', 'content-length': 5 * CAP }).end('r'.repeat(5 * CAP)));
    routes.set('/target', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('arrived'));
    // undici's pool opens a second connection for the second request; after that, no new one.
    await get('/target');
    await get('/target');
    const before = connections;
    for (let i = 0; i < 3; i++) {
      const followed = await get('/moved', { maxHops: 1 });
      expect(followed.status).to.equal(200);
      expect(followed.body.toString()).to.equal('arrived');
      expect(followed.hopUrls).to.deep.equal([`${origin}/target`]);
    }
    // The dropped redirect bodies were read off: the connections are still usable.
    expect(connections).to.equal(before);
    seen.length = 0;
    routes.set('/moved-small', (_req, res) => res.writeHead(302, { location: '/target', 'content-type': 'text/plain' }).end('Found. Redirecting to /target'));
    const final = await get('/moved-small', { maxHops: 0 });
    expect(final.status).to.equal(302);
    expect(final.body.toString()).to.equal('Found. Redirecting to /target');
    expect(final.locations).to.deep.equal(['/target']);
    expect(seen).to.deep.equal(['GET /moved-small']);
  });

  it('answers with an empty body for 204 and HEAD', async () => {
    // A HEAD answer declares the length of a body it does not send: past the cap is fine.
    routes.set('/empty', (req, res) => res.writeHead(req.method === 'HEAD' ? 200 : 204, { 'content-length': req.method === 'HEAD' ? 50 * CAP : 0 }).end());
    expect((await get('/empty')).body.length).to.equal(0);
    const head = await client.send({ method: 'HEAD', url: `${origin}/empty`, headers: {} }, opts());
    expect(head.status).to.equal(200);
    expect(head.body.length).to.equal(0);
  });

  it('stops at once when aborted mid-body (AbortSignal or a run abort), and never sends an already aborted request', async () => {
    routes.set('/slow', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part');
      // The rest never comes.
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('caller gave up')), 100);
    const t = performance.now();
    const err = await failure(get('/slow', { signal: ac.signal }));
    expect(err.kind).to.equal('aborted');
    expect(performance.now() - t).to.be.below(2000);

    const run = new RunAbort(Date.now() + 60_000, () => new Error('deadline'));
    setTimeout(() => run.abort(new Error('cancelled')), 100);
    expect((await failure(get('/slow', { signal: run }))).kind).to.equal('aborted');

    seen.length = 0;
    const done = new AbortController();
    done.abort(new Error('before'));
    expect((await failure(get('/slow', { signal: done.signal }))).kind).to.equal('aborted');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).to.deep.equal([]);
  });

  it('times out a site that does not answer, and tells a refused connection (not delivered) from a cut one', async () => {
    routes.set('/hang', () => undefined);
    const slow = await failure(get('/hang', { timeoutMs: 200 }));
    expect(slow.kind).to.equal('timeout');
    expect(slow.delivered).to.equal(true);

    routes.set('/cut', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 100 });
      res.write('only a part');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const cut = await failure(get('/cut'));
    expect(cut.kind).to.equal('reset');
    expect(cut.delivered).to.equal(true);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = `http://127.0.0.1:${port}`;
    const refused = await failure(client.send({ method: 'POST', url: `${dead}/x`, headers: {}, body: '{}' }, opts({ origins: new Set([dead]) })));
    expect(refused.kind).to.equal('refused');
    expect(refused.delivered).to.equal(false);
  });

  it('fails a value HTTP cannot carry in a header with invalid_input, sending nothing and not retrying', async () => {
    routes.set('/h', (_req, res) => res.writeHead(200).end('ok'));
    const err = await client.send({ method: 'GET', url: `${origin}/h`, headers: { 'x-note': 'snow \u2603' } }, opts()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAppError(err) && err.code).to.equal('invalid_input');
    expect((err as Error).message).to.contain('/h').and.contain('x-note');
    expect(seen).to.deep.equal([]);
  });
});
