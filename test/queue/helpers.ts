import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createLogger, createRedis, createRegistry, RedisStore, type Redis, type Run } from '../../core/index.js';
import { RunQueue, type RunQueueOptions, type RunJobContext } from '../../replayer/queue/index.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One test file's Redis, store, logger and registry under a prefix of its own. */
export async function openEnv() {
  const prefix = `rf-test-${randomBytes(4).toString('hex')}:`;
  const redis: Redis = createRedis(REDIS_URL);
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  const store = new RedisStore({ redis, prefix });
  const logger = createLogger({ silent: true });
  const registry = createRegistry({ defaultMetrics: false });
  const queues: RunQueue[] = [];
  return {
    prefix,
    redis,
    store,
    logger,
    registry,
    /** A started RunQueue on this env (closed by close()). */
    async queue(extra: Partial<RunQueueOptions> = {}): Promise<RunQueue> {
      const q = new RunQueue({ redisUrl: REDIS_URL, prefix, store, logger, registry, ...extra });
      await q.start();
      queues.push(q);
      return q;
    },
    async close() {
      await Promise.all(queues.map((q) => q.close()));
      await store.clear();
      await redis.quit();
    },
  };
}

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  res: ServerResponse;
}

/**
 * A local HTTP server on 127.0.0.1 that the test's execute function calls. `onRequest` decides
 * how to answer (default: 200 with JSON echoing the body); `next()` resolves on the next request.
 */
export class Target {
  server: Server;
  url = '';
  received: Received[] = [];
  onRequest: (r: Received) => void = (r) => reply(r.res, 200, { ok: true, echo: safeJson(r.body) });
  private waiters: Array<(r: Received) => void> = [];

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), res };
        this.received.push(r);
        this.onRequest(r);
        for (const w of this.waiters.splice(0)) w(r);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  next(): Promise<Received> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/**
 * An executor that does real HTTP: POSTs the run's inputs to the target and turns the answer
 * into a run result (a non-2xx answer is a failed run, not a crash).
 */
export function httpExecutor(target: () => string) {
  return async (run: Run, job: RunJobContext): Promise<Partial<Run>> => {
    const started = Date.now();
    const res = await fetch(`${target()}/run/${run.id}?attempt=${job.attempt}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(job.inputs),
      signal: job.signal,
    });
    const body = (await res.json()) as unknown;
    const ms = Date.now() - started;
    return {
      status: res.ok ? 'succeeded' : 'failed',
      mode: 'http',
      output: { status: res.status, contentType: 'application/json', body },
      steps: [{ id: 's1', status: res.ok ? 'succeeded' : 'failed', ms, attempts: 1, httpStatus: res.status }],
      ...(res.ok ? {} : { error: { code: 'target_error', message: `HTTP ${res.status}` } }),
    };
  };
}
