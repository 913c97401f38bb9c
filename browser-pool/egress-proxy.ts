import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { AppError, isAppError, type Logger } from '../core/index.js';
import { resolveEgressOptions, type EgressProxyOptions, type ResolvedEgressOptions } from './egress-proxy-options.js';

export type { EgressProxyOptions, EgressRules } from './egress-proxy-options.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the proxy's own: never forwarded, in either direction. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * A forward proxy on 127.0.0.1 for one browser context: every connection the context makes (page
 * loads, each redirect hop, subresources, fetch, iframes, workers, WebSockets) comes through here,
 * as a CONNECT tunnel (https, wss) or an absolute-URI request (http, ws), and is checked by the
 * rules before a byte goes to the target. Playwright's route() is not asked about redirect hops,
 * so a policy only route() enforces can be walked around with a 302; this cannot.
 *
 * Refusals look like network failures to the browser, never like content: a refused tunnel gets a
 * 403 with a short text (Chromium: ERR_TUNNEL_CONNECTION_FAILED), a refused plain-HTTP request has
 * its connection closed without an answer (ERR_EMPTY_RESPONSE), since a proxy's 403 page there
 * would be shown, and recorded, as the site's answer.
 */
export class EgressProxy {
  private readonly o: ResolvedEgressOptions;
  private readonly log: Logger;
  private server: Server | undefined;
  private readonly sockets = new Set<Duplex>();
  private closing: Promise<void> | undefined;

  constructor(opts: EgressProxyOptions) {
    this.o = resolveEgressOptions(opts);
    this.log = opts.logger.child({ module: 'egress-proxy' });
  }

  /** Starts listening on 127.0.0.1 (a free port); resolves with the proxy's URL for Playwright's `proxy.server`. */
  async listen(): Promise<string> {
    if (this.closing) throw new AppError('browser_error', 'egress proxy is closed');
    if (!this.server) {
      const server = createServer((req, res) => void this.forward(req, res));
      server.on('connection', (s: Socket) => this.track(s));
      server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.tunnel(req, socket, head));
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
      server.on('clientError', (_err, socket: Duplex) => socket.destroy());
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and cuts every connection, tunnels included. Idempotent; never throws. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const server = this.server;
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    })();
    return this.closing;
  }

  /** Absolute-URI requests: plain http. */
  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = absoluteTarget(req.url);
    if (!target) {
      // Not a proxy request (or not http): nothing to forward, nothing of anyone's to show.
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('egress proxy: absolute http:// URLs and CONNECT only\n');
      return;
    }
    let upstream: Socket;
    try {
      upstream = await this.open(target.host, target.port);
    } catch {
      req.socket.destroy();
      return;
    }
    const up = httpRequest({
      createConnection: () => upstream,
      method: req.method,
      path: target.path,
      headers: forwardHeaders(req.rawHeaders, false),
      setHost: false,
    });
    up.on('response', (upRes) => {
      res.sendDate = false;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, forwardHeaders(upRes.rawHeaders, false));
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    });
    up.on('error', () => {
      if (!res.headersSent) req.socket.destroy();
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  /** The checked connection a raw client asked for; undefined once the client was answered (refused) or is gone. */
  private async openFor(client: Duplex, target: { host: string; port: number }): Promise<Socket | undefined> {
    let upstream: Socket;
    try {
      upstream = await this.open(target.host, target.port);
    } catch (err) {
      answer(client, refusedCode(err), refusedText(err));
      return undefined;
    }
    if (client.destroyed) {
      upstream.destroy();
      return undefined;
    }
    return upstream;
  }

  /** CONNECT host:port: https and wss (Chromium tunnels ws:// through an HTTP proxy too). */
  private async tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    this.track(client);
    const target = authority(req.url);
    if (!target) return answer(client, 400, 'egress proxy: CONNECT needs host:port');
    const upstream = await this.openFor(client, target);
    if (!upstream) return;
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    splice(client, upstream, head);
  }

  /** An absolute-URI request asking to switch protocols (a ws:// handshake without CONNECT). */
  private async upgrade(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    this.track(client);
    const target = absoluteTarget(req.url);
    if (!target) return answer(client, 400, 'egress proxy: absolute http:// URLs and CONNECT only');
    const upstream = await this.openFor(client, target);
    if (!upstream) return;
    const headers = forwardHeaders(req.rawHeaders, true);
    let text = `${req.method} ${target.path} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    upstream.write(`${text}\r\n`);
    splice(client, upstream, head);
  }

  /** The checked connection to host:port; AppError target_forbidden (refused) or target_unreachable. */
  private async open(host: string, port: number): Promise<Socket> {
    let addresses;
    try {
      const why = this.o.allow?.(host, port);
      if (why) throw new AppError('target_forbidden', why);
      addresses = await this.o.policy.resolve(host);
    } catch (err) {
      const error = isAppError(err) ? err : new AppError('target_unreachable', `Cannot resolve ${host}`, { cause: err });
      if (error.code === 'target_forbidden') {
        this.log.debug('connection refused', { host, port, reason: error.message });
        this.o.onRefused(host, port, error.message);
      }
      throw error;
    }
    let last: unknown;
    for (const a of addresses) {
      if (this.closing) break;
      try {
        return await this.connectTo(a.address, port);
      } catch (err) {
        last = err;
      }
    }
    throw new AppError('target_unreachable', `Cannot connect to ${host}:${port}`, { cause: last });
  }

  private connectTo(address: string, port: number): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      // An IP address: net.connect does no lookup, so the address checked is the one reached.
      const socket = connect({ host: address, port });
      this.track(socket);
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${address}:${port} timed out`)), this.o.connectTimeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.on('error', () => undefined); // later errors end the pipes (see splice / forward)
        resolve(socket);
      });
    });
  }

  private track(s: Duplex): void {
    if (this.closing) {
      s.destroy();
      return;
    }
    if (this.sockets.has(s)) return;
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }
}

/** Two sockets joined both ways; either one's end or error ends both. */
function splice(client: Duplex, upstream: Socket, head: Buffer): void {
  if (head.length) upstream.write(head);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end);
  upstream.on('error', end);
  client.on('close', end);
  upstream.on('close', end);
  upstream.pipe(client);
  client.pipe(upstream);
}

/** A short answer to a proxy request, then the connection closed: never anything of the target's. */
function answer(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  const reason = status === 403 ? 'Forbidden' : status === 400 ? 'Bad Request' : 'Bad Gateway';
  const body = `${text}\n`;
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

function refusedCode(err: unknown): number {
  return isAppError(err) && err.code === 'target_forbidden' ? 403 : 502;
}

function refusedText(err: unknown): string {
  if (isAppError(err) && err.code === 'target_forbidden') return `refused by the egress proxy: ${err.message}`;
  return 'egress proxy: the target could not be reached';
}

/** The headers to pass on: hop-by-hop ones (and those Connection names) and Proxy-* dropped; an upgrade keeps Connection and Upgrade. */
function forwardHeaders(raw: string[], upgrade: boolean): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') for (const t of raw[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith('proxy-')) continue;
    if (upgrade && (name === 'connection' || name === 'upgrade')) {
      out.push(raw[i]!, raw[i + 1]!);
      continue;
    }
    if (HOP_BY_HOP.has(name) || (named.has(name) && name !== 'upgrade')) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** Host (lower case, IPv6 unbracketed), port and path of an absolute http:// request target. */
function absoluteTarget(raw: string | undefined): { host: string; port: number; path: string } | undefined {
  if (!raw || !/^http:\/\//i.test(raw)) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  const port = u.port === '' ? 80 : Number(u.port);
  return { host: bare(u.hostname), port, path: `${u.pathname}${u.search}` };
}

/** host:port of a CONNECT (`[v6]:port` for IPv6). */
function authority(raw: string | undefined): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.%]+)\]|([^\s:[\]/@]+)):(\d{1,5})$/.exec(raw ?? '');
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: bare(m[1] ?? m[2]!), port };
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, '').toLowerCase();
}
