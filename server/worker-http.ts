import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Registry } from '../core/index.js';

export interface WorkerHttpOptions {
  /** Port to listen on (0 = any free port; the caller decides whether to start one at all). */
  port: number;
  /** Address to listen on (the API's HOST). */
  host: string;
  /** The worker's metrics: runs, steps, fallbacks, pool and queue gauges. */
  registry: Registry;
  /** Redis liveness (the store's ping). */
  ping: () => Promise<unknown>;
  /** Further readiness checks (the browser pool), each resolving { ok, message }. */
  checks?: Record<string, () => Promise<{ ok: boolean; message: string }>>;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const fail = (res: ServerResponse, status: number, code: string, message: string, details?: { path: string; message: string }[]) =>
  json(res, status, { error: { code, message, ...(details ? { details } : {}) } });

/**
 * A worker process's own small HTTP listener: /healthz, /readyz and /metrics, the same answers as
 * the API's, so that a worker started alone (`replayfarm worker`, scaled out) can be probed and
 * scraped. Plain node:http: a worker has no other use for Express.
 */
export class WorkerHttp {
  private server?: Server;

  constructor(private readonly opts: WorkerHttpOptions) {}

  /** Starts listening; resolves with the base URL. */
  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) fail(res, 500, 'internal', 'Internal error');
        else res.destroy();
      });
    });
    this.server = server;
    server.listen(this.opts.port, this.opts.host);
    await once(server, 'listening');
    const addr = server.address() as AddressInfo;
    return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
      return fail(res, 404, 'not_found', `No route ${req.method} ${path} (a worker serves /healthz, /readyz and /metrics)`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/metrics') {
      const text = await this.opts.registry.metrics();
      res.writeHead(200, { 'content-type': this.opts.registry.contentType });
      res.end(text);
      return;
    }
    await this.ready(res);
  }

  private async ready(res: ServerResponse): Promise<void> {
    const checks: Record<string, string> = {};
    try {
      await withTimeout(this.opts.ping(), 2000, 'Redis');
      checks.redis = 'ok';
    } catch {
      return fail(res, 503, 'redis_unavailable', 'Redis is not reachable', [{ path: 'redis', message: 'ping failed' }]);
    }
    for (const [name, check] of Object.entries(this.opts.checks ?? {})) {
      const result = await withTimeout(check(), 5000, name).catch((err: Error) => ({ ok: false, message: err.message }));
      if (!result.ok) return fail(res, 503, 'not_ready', `${name} is not ready: ${result.message}`, [{ path: name, message: result.message }]);
      checks[name] = 'ok';
    }
    json(res, 200, { status: 'ready', checks });
  }

  /** Stops listening (open keep-alive connections of scrapers are closed too). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
