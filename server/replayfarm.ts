import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import {
  createLogger,
  createRedis,
  createRegistry,
  loadConfig,
  RedisStore,
  type Config,
  type Logger,
  type Redis,
  type Registry,
} from '../core/index.js';
import { buildApp } from './app.js';
import { healthRoutes } from './routes/health.js';

export interface ReplayfarmOptions {
  /** Environment to read the configuration from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Values that win over the environment (tests pass their own key prefix, port 0, …). */
  config?: Partial<Config>;
  /** Replacements; anything not given is built from the configuration. */
  redis?: Redis;
  logger?: Logger;
  registry?: Registry;
  clock?: () => number;
}

/**
 * The composition root: builds every part from the configuration (or takes replacements),
 * serves the API, and closes everything in order on shutdown.
 */
export class Replayfarm {
  readonly config: Config;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly redis: Redis;
  readonly store: RedisStore;
  readonly clock: () => number;
  readonly app: Express;
  private server?: Server;
  private closing?: Promise<void>;
  private readonly ownsRedis: boolean;

  constructor(opts: ReplayfarmOptions = {}) {
    this.config = loadConfig(opts.env ?? process.env, opts.config);
    this.logger = opts.logger ?? createLogger({ level: this.config.logLevel, format: this.config.logFormat });
    this.registry = opts.registry ?? createRegistry();
    this.clock = opts.clock ?? Date.now;
    this.ownsRedis = !opts.redis;
    this.redis = opts.redis ?? createRedis(this.config.redisUrl);
    // ioredis reports every failed reconnect; /readyz says it better than a log line a second
    this.redis.on('error', () => {});
    this.store = new RedisStore({ redis: this.redis, prefix: this.config.keyPrefix });
    this.app = buildApp({
      config: this.config,
      logger: this.logger,
      registry: this.registry,
      open: [healthRoutes({ store: this.store, registry: this.registry, checks: {} })],
      v1: [],
    });
  }

  /** Starts listening; resolves with the base URL. */
  async listen(): Promise<string> {
    const server = this.app.listen(this.config.port, this.config.host);
    this.server = server;
    await once(server, 'listening');
    const addr = server.address() as AddressInfo;
    const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    this.logger.info('listening', { url });
    return url;
  }

  /** Graceful shutdown: stop accepting, let in-flight requests finish (bounded), close the rest. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), this.config.shutdownTimeoutMs).unref();
      await closed;
      clearTimeout(timer);
    }
    if (this.ownsRedis) await this.redis.quit().catch(() => this.redis.disconnect());
    this.logger.info('stopped');
  }
}
