import { once } from 'node:events';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createLogger, createRedis, createRegistry, loadConfig, RedisStore, type Config, type Logger, type Redis, type Registry, type SecretBox, type WorkflowEvent } from '../core/index.js';
// Playwright loads inside the pool on its first launch; the recorder and the API (Express, routes)
// are imported in start() only when asked for: a warm HTTP run from the CLI loads neither.
import { BrowserPool } from '../browser-pool/index.js';
import type { RecordingManager } from '../recorder/index.js';
import { AddressPolicy, deliverWebhook, Replayer, RunExecutor, RunQueue, RunWorker, WorkflowCache, type DriftEvidence } from '../replayer/index.js';
import { WorkflowHealer } from './workflow-healer.js';
import { clientErrorHandler } from './middleware/error-handler.js';
import { QueueStarter } from './queue-starter.js';
import type { WorkflowSweeper } from './workflow-sweeper.js';
import type { RunEvents } from './run-events.js';
import type { LiveSockets } from './live-socket.js';
import type { ReplayfarmOptions, ReplayfarmParts } from './replayfarm-options.js';

export type { ReplayfarmOptions, ReplayfarmParts };

/**
 * One of our modules, loaded when first needed. import() in the compiled (ESM) build; under a
 * CommonJS loader (the tests run the TypeScript through tsx, which loads it as CommonJS) import()
 * would load a second copy of each module, with its own classes and schemas: require() keeps one.
 */
function load<T>(specifier: string): Promise<T> {
  return typeof require === 'function' ? Promise.resolve(require(specifier) as T) : (import(specifier) as Promise<T>);
}

/**
 * The composition root: builds every part from the configuration (or takes replacements),
 * serves the API and/or a worker, and closes everything in order on shutdown.
 * The constructor only reads configuration and builds what needs no I/O; start() connects.
 */
export class Replayfarm {
  readonly config: Config;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly redis: Redis;
  readonly store: RedisStore;
  readonly clock: () => number;
  readonly pool: BrowserPool;
  private readonly opts: ReplayfarmOptions;
  private started?: Promise<void>;
  private parts?: Partial<ReplayfarmParts> & Pick<ReplayfarmParts, 'secretBox' | 'replayer' | 'queue' | 'workflows'>;
  private app_?: Express;
  private server?: Server;
  private closing?: Promise<void>;
  private queueStarter?: QueueStarter;
  private sweeper?: WorkflowSweeper;
  private events?: RunEvents;
  private live?: LiveSockets;

  constructor(opts: ReplayfarmOptions = {}) {
    if (opts.store && !opts.redis) throw new TypeError('Replayfarm: a store replacement comes with the redis client it uses');
    if (opts.startQueue === false && (opts.worker !== false || opts.api !== false)) throw new TypeError('Replayfarm: startQueue false needs worker false and api false');
    this.opts = opts;
    this.config = loadConfig(opts.env ?? process.env, opts.config);
    const c = this.config;
    this.logger = opts.logger ?? createLogger({ level: c.logLevel, format: c.logFormat });
    this.registry = opts.registry ?? createRegistry();
    this.clock = opts.clock ?? Date.now;
    // Not connected yet: start() does the I/O.
    this.redis = opts.redis ?? createRedis(c.redisUrl, { lazyConnect: true });
    // ioredis reports every failed reconnect; /readyz says it better than a log line a second
    this.redis.on('error', () => {});
    this.store = opts.store ?? new RedisStore({ redis: this.redis, prefix: c.keyPrefix });
    this.pool =
      opts.pool ??
      new BrowserPool({
        min: c.poolMin,
        max: c.poolMax,
        contextsPerBrowser: c.contextsPerBrowser,
        acquireTimeoutMs: c.poolAcquireTimeoutMs,
        maxWaiting: c.poolMaxWaiting,
        retireAfterLeases: c.poolRetireAfterLeases,
        maxAgeMs: c.poolMaxAgeMs,
        maxLeaseMs: c.poolMaxLeaseMs || Math.max(c.recordingMaxDurationMs, c.runDeadlineMs) + 60_000,
        executablePath: c.browserExecutable,
        logger: this.logger,
        registry: this.registry,
      });
  }

  get app(): Express {
    if (!this.app_) throw new Error('Replayfarm: call start() first (and api must be enabled)');
    return this.app_;
  }

  get replayer(): Replayer {
    return this.requireParts().replayer;
  }

  get recordings(): RecordingManager {
    const r = this.requireParts().recordings;
    if (!r) throw new Error('Replayfarm: built without the recorder (recorder: false)');
    return r;
  }

  get queue(): RunQueue {
    return this.requireParts().queue;
  }

  get secretBox(): SecretBox {
    return this.requireParts().secretBox;
  }

  /** Builds and starts every part. Idempotent. */
  start(): Promise<void> {
    this.started ??= this.doStart();
    return this.started;
  }

  private requireParts() {
    if (!this.parts) throw new Error('Replayfarm: call start() first');
    return this.parts;
  }

  private async doStart(): Promise<void> {
    // A client built here connects now; one that cannot is retried in the background (ioredis).
    if (this.redis.status === 'wait') this.redis.connect().catch(() => {});
    const secretBox = this.opts.secretBox ?? (await this.store.secretBox(this.config.secretKey));
    await this.pool.start();
    const parts = this.buildParts(secretBox);
    const api = this.opts.api !== false;
    if (!parts.recordings && (api || this.opts.recorder !== false)) parts.recordings = await this.buildRecordings(parts);
    this.parts = parts;
    if (this.opts.startQueue !== false) {
      this.queueStarter = new QueueStarter({ store: this.store, logger: this.logger, queue: parts.queue, worker: parts.worker, redisUrl: this.config.redisUrl });
      // With Redis up, start() returns with queue and worker running; with Redis away the API still
      // serves (/readyz and run calls say why) and the queue starts once Redis answers.
      await this.queueStarter.start();
    }
    if (api) await this.startApi(parts);
  }

  /** Every part not given, built from the configuration. */
  private buildParts(secretBox: SecretBox): NonNullable<Replayfarm['parts']> {
    const c = this.config;
    const o = this.opts;
    const base = { store: this.store, logger: this.logger, registry: this.registry, secretBox };
    // Workflows heal where runs run (a worker); the healer needs the replayer to verify with.
    let healer: WorkflowHealer | undefined;
    const replayer =
      o.replayer ??
      new Replayer({
        ...(o.worker === false ? {} : { onDrift: (e: DriftEvidence) => healer?.onDrift(e) }),
        ...base,
        pool: this.pool,
        allowLoopback: c.allowLoopback,
        allowPrivate: c.allowPrivate,
        stepTimeoutMs: c.stepTimeoutMs,
        runDeadlineMs: c.runDeadlineMs,
        maxResponseBytes: c.maxResponseBytes,
        breaker: { failureThreshold: c.breakerFailures, resetMs: c.breakerResetMs, maxResetMs: c.breakerMaxResetMs },
        clock: this.clock,
      });
    if (o.worker !== false) {
      const learner = async () => (await load<typeof import('../recorder/index.js')>('../recorder/index.js')).learn;
      // workflow events go where run events go (queue is built below; used only once runs run)
      const publish = (e: WorkflowEvent) => this.store.call((r) => r.publish(queue.ledger.eventsChannel, JSON.stringify(e)));
      // a workflow's own webhook (notify) obeys the same address rules as run webhooks
      const policy = new AddressPolicy({ allowLoopback: c.allowLoopback, allowPrivate: c.allowPrivate });
      const webhook = { secret: c.webhookSecret, guard: (u: URL) => policy.checkHost(u.hostname), deliver: deliverWebhook };
      healer = new WorkflowHealer({ ...base, replayer, clock: this.clock, learner, publish, webhook });
    }
    const queue =
      o.queue ??
      new RunQueue({
        ...base,
        redisUrl: c.redisUrl,
        prefix: c.keyPrefix,
        maxWaiting: c.queueMaxWaiting,
        workflowMaxConcurrency: c.workflowMaxConcurrency,
        workflowMaxPerMinute: c.workflowMaxPerMinute,
        historyLimit: c.runHistoryLimit,
        clock: this.clock,
      });
    const workflows = o.workflows ?? new WorkflowCache({ store: this.store });
    const worker = o.worker === false ? undefined : o.worker instanceof RunWorker ? o.worker : this.buildWorker(queue, new RunExecutor({ replayer, workflows }));
    return { secretBox, recordings: o.recordings, replayer, queue, workflows, worker };
  }

  /** The recorder, imported now: processes that never record (a CLI run, a worker) never load it. */
  private async buildRecordings(parts: { secretBox: SecretBox }): Promise<RecordingManager> {
    const c = this.config;
    const { RecordingManager } = await load<typeof import('../recorder/index.js')>('../recorder/index.js');
    return new RecordingManager({
      store: this.store,
      logger: this.logger,
      registry: this.registry,
      secretBox: parts.secretBox,
      pool: this.pool,
      idleTimeoutMs: c.recordingIdleTimeoutMs,
      maxDurationMs: c.recordingMaxDurationMs,
      maxConcurrent: c.recordingMaxConcurrent,
      harLimitBytes: c.harLimitBytes,
      livenessMs: c.recordingLivenessMs,
      policy: new AddressPolicy({ allowLoopback: c.recordingAllowLocal || c.allowLoopback, allowPrivate: c.recordingAllowLocal || c.allowPrivate }),
    });
  }

  private buildWorker(queue: RunQueue, executor: RunExecutor): RunWorker {
    const c = this.config;
    const webhookPolicy = new AddressPolicy({ allowLoopback: c.allowLoopback, allowPrivate: c.allowPrivate });
    return new RunWorker({
      queue,
      logger: this.logger,
      registry: this.registry,
      concurrency: c.workerConcurrency,
      webhookSecret: c.webhookSecret,
      workerId: `${hostname()}:${process.pid}`,
      shutdownTimeoutMs: c.shutdownTimeoutMs,
      lockDurationMs: c.workerLockMs,
      stalledIntervalMs: c.workerStalledCheckMs,
      maxStalledCount: c.workerMaxStalled,
      // webhooks obey the same address rules as replays (no metadata, link-local, …)
      webhookGuard: (u: URL) => webhookPolicy.checkHost(u.hostname),
      execute: executor.execute,
    });
  }

  private async startApi(parts: NonNullable<Replayfarm['parts']>): Promise<void> {
    const { buildApi } = await load<typeof import('./replayfarm-api.js')>('./replayfarm-api.js');
    const built = await buildApi({
      config: this.config,
      logger: this.logger,
      registry: this.registry,
      store: this.store,
      clock: this.clock,
      parts: { ...parts, recordings: parts.recordings! },
      ingest: this.opts.ingest,
      poolCheck: () => this.pool.check(),
    });
    parts.ingest = built.ingest;
    this.sweeper = built.sweeper;
    this.events = built.events;
    this.live = built.live;
    this.app_ = built.app;
    // Recordings live in API processes: keep ours marked alive, fail those of dead processes.
    parts.recordings!.startSweeper();
  }

  /** Starts listening; resolves with the base URL. */
  async listen(): Promise<string> {
    await this.start();
    const server = this.app.listen(this.config.port, this.config.host);
    this.server = server;
    // malformed HTTP (oversized headers, bad request lines) is answered in the API's error format too
    server.on('clientError', clientErrorHandler(this.logger.child({ module: 'http' })));
    this.live?.attach(server); // WebSocket /v1/recordings/:id/live
    await once(server, 'listening');
    const addr = server.address() as AddressInfo;
    const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    this.logger.info('listening', { url });
    return url;
  }

  /** Graceful shutdown: stop accepting, let in-flight requests and runs finish (bounded), close the rest. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.sweeper?.close();
    this.events?.close(); // live run streams end, so the server can close
    this.live?.close();
    this.queueStarter?.stop();
    await this.started?.catch(() => {});
    await this.queueStarter?.stopped();
    await this.closeServer();
    const p = this.parts;
    const o = this.opts;
    // Only what was built here is closed: a part given is its giver's.
    const mine = <T>(given: T | undefined | boolean, part: T | undefined): T | undefined => (given && typeof given === 'object' ? undefined : part);
    await mine(o.ingest, p?.ingest)?.close();
    await mine(o.worker, p?.worker)?.close().catch((err: Error) => this.logger.warn('worker close failed', { error: err.message }));
    await mine(o.recordings, p?.recordings)?.close().catch((err: Error) => this.logger.warn('recordings close failed', { error: err.message }));
    await mine(o.queue, p?.queue)?.close().catch(() => {});
    await mine(o.replayer, p?.replayer)?.close().catch(() => {});
    if (!o.pool) await this.pool.drain().catch((err: Error) => this.logger.warn('pool drain failed', { error: err.message }));
    if (!o.redis) await this.redis.quit().catch(() => this.redis.disconnect());
    this.logger.info('stopped');
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), this.config.shutdownTimeoutMs).unref();
    await closed;
    clearTimeout(timer);
  }
}
