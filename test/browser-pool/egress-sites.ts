import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { AddressPolicy } from '../../core/index.js';

/**
 * Loopback refused, except 127.0.0.2: lets a test serve an allowed site on 127.0.0.2 and keep a
 * refused target on 127.0.0.1, both on this machine. Every other rule is AddressPolicy's own.
 */
export class OnlySitePolicy extends AddressPolicy {
  override refusal(address: string): string | undefined {
    return address === '127.0.0.2' ? undefined : super.refusal(address);
  }
}

/** A server that must never be reached: counts every TCP connection, answers a marker a HAR must not contain. */
export interface RefusedTarget {
  url: string;
  host: string;
  port: number;
  /** What it answers (HTTP body, WebSocket greeting). */
  marker: string;
  connections(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startRefusedTarget(host = '127.0.0.1'): Promise<RefusedTarget> {
  const marker = `REFUSED-ANSWER-${randomBytes(6).toString('hex')}`;
  let connections = 0;
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>${marker}</title>${marker}`));
  server.on('connection', () => connections++);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => acceptWebSocket(server, req, socket, marker));
  const port = await listen(server, host);
  return {
    url: `http://${host}:${port}`,
    host,
    port,
    marker,
    connections: () => connections,
    reset: () => void (connections = 0),
    close: () => close(server),
  };
}

/** The allowed site: one page per way of sending the browser to `target`. */
export interface VectorSite {
  url: string;
  /** Requests it served, by path. */
  hits(path: string): number;
  close(): Promise<void>;
}

export async function startVectorSite(target: () => string, host = '127.0.0.2'): Promise<VectorSite> {
  const counts = new Map<string, number>();
  const page = (title: string, body: string) => `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    counts.set(u.pathname, (counts.get(u.pathname) ?? 0) + 1);
    const t = target();
    const html = (body: string, title = u.pathname) => res.writeHead(200, { 'content-type': 'text/html' }).end(page(title, body));
    switch (u.pathname) {
      case '/redirect':
        return res.writeHead(302, { location: `${t}/secret` }).end();
      case '/redirect-local':
        return res.writeHead(302, { location: '/landing' }).end();
      case '/landing':
        return html('<h1 id="landed">landed</h1>', 'Landing');
      case '/redirect-metadata':
        return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      case '/meta':
        return html(`<meta http-equiv="refresh" content="0;url=${t}/secret">`);
      case '/location':
        return html(`<script>window.location.href = ${JSON.stringify(`${t}/secret`)};</script>`);
      case '/fetch':
        return html(`<script>fetch(${JSON.stringify(`${t}/secret`)}).then(r => r.text()).then(x => { document.title = 'fetched ' + x; }, () => { document.title = 'fetch failed'; });</script>`);
      case '/ws':
        return html(`<script>
          const ws = new WebSocket(${JSON.stringify(`${t.replace(/^http/, 'ws')}/socket`)});
          ws.onmessage = (e) => { document.title = 'ws got ' + e.data; };
          ws.onerror = () => { document.title = 'ws failed'; };
        </script>`);
      case '/iframe':
        return html(`<iframe id="f" src="${t}/secret"></iframe>`);
      case '/ws-here':
        // A WebSocket to this (allowed) site: through the proxy, it works.
        return html(`<script>
          const ws = new WebSocket('ws://' + location.host + '/socket');
          ws.onmessage = (e) => { document.title = 'ws got ' + e.data; };
          ws.onerror = () => { document.title = 'ws failed'; };
        </script>`);
      case '/echo': {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString('utf8') })));
        return;
      }
      default:
        return html('<h1>ok</h1>', 'OK');
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => acceptWebSocket(server, req, socket, 'hello from the allowed site'));
  const port = await listen(server, host);
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, hits: (p) => counts.get(p) ?? 0, close: () => close(server) };
}

/** The server half of a WebSocket handshake, then one text frame (no masking from a server). */
const upgraded = new WeakMap<Server, Set<Duplex>>();

function acceptWebSocket(server: Server, req: IncomingMessage, socket: Duplex, text: string): void {
  // Upgraded sockets leave the server's own bookkeeping: close() must end them itself.
  const open = upgraded.get(server) ?? new Set<Duplex>();
  upgraded.set(server, open);
  open.add(socket);
  socket.once('close', () => open.delete(socket));
  socket.once('end', () => socket.destroy()); // http servers allow half-open sockets: close when the peer does
  socket.resume(); // what the client sends is not read, only drained (else 'end' never comes)
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.on('error', () => undefined);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const payload = Buffer.from(text);
  socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
}

export async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export function close(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const s of upgraded.get(server) ?? []) s.destroy();
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Waits until `cond` holds (or `ms` passes: then the caller's assertions say what is wrong). */
export async function settle(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}
