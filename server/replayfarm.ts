import { once } from 'node:events';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import {
  AppError,
  createLogger,
  createRedis,
  createRegistry,
  loadConfig,
  RedisStore,
  type Config,
  type Logger,
  type Redis,
  type Registry,
  type SecretBox,
  type Workflow,
} from '../core/index.js';
import { BrowserPool } from '../browser-pool/index.js';
import { IngestPool, RecordingManager, sealKeyOf } from '../recorder/index.js';
import { AddressPolicy, Replayer, RunQueue, RunWorker } from '../replayer/index.js';
import { SessionStore } from '../replayer/session-store.js';


import { buildApp } from './app.js';
import { clientErrorHandler } from './middleware/error-handler.js';
import { WorkflowCache } from './workflow-cache.js';
import { healthRoutes } from './routes/health.js';
import { workflowRoutes } from './routes/workflows.js';
import { runRoutes } from './routes/runs.js';
import { recordingRoutes } from './routes/recordings.js';
import { openapiRoutes } from './routes/openapi.js';

const SET_IF_UNCHANGED = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0`;

export interface ReplayfarmOptions {
  /** Environment to read the configuration from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Values that win over the environment (tests pass their own key prefix, port 0, …). */
  config?: Partial<Config>;
  /** Run a worker in this process (default true; `serve --no-worker` and the API-only tests say false). */
  worker?: boolean;
  /** Serve the HTTP API (default true; `replayfarm worker` says false). */
  api?: boolean;
  /** Replacements; anything not given is built from the configuration. */
  redis?: Redis;
  logger?: Logger;
  registry?: Registry;
  pool?: BrowserPool;
  clock?: () => number;
}

/**
 * The composition root: builds every part from the configuration (or takes replacements),
 * serves the API and/or a worker, and closes everything in order on shutdown.
 * The constructor only reads configuration; start() does the I/O.
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
  private parts?: { secretBox: SecretBox; recordings: RecordingManager; replayer: Replayer; queue: RunQueue; worker?: RunWorker; app?: Express };
  private server?: Server;
  private closing?: Promise<void>;
  private queueRetry?: NodeJS.Timeout;
  private wakeRetry?: () => void;
  private queueStarted = false;
  private queueStarting?: Promise<void>;
  /** Parsed workflows shared by the run route and execute(), so the replayer's per-object memos hold across runs. */
  private workflows?: WorkflowCache;
  /** HAR uploads are decoded, validated and learned in these worker threads, off the event loop. */
  private ingest?: IngestPool;

  constructor(opts: ReplayfarmOptions = {}) {
    this.opts = opts;
    this.config = loadConfig(opts.env ?? process.env, opts.config);
    this.logger = opts.logger ?? createLogger({ level: this.config.logLevel, format: this.config.logFormat });
    this.registry = opts.registry ?? createRegistry();
    this.clock = opts.clock ?? Date.now;
    this.redis = opts.redis ?? createRedis(this.config.redisUrl);
    // ioredis reports every failed reconnect; /readyz says it better than a log line a second
    this.redis.on('error', () => {});
    this.store = new RedisStore({ redis: this.redis, prefix: this.config.keyPrefix });
    const c = this.config;
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
    if (!this.parts?.app) throw new Error('Replayfarm: call start() first (and api must be enabled)');
    return this.parts.app;
  }

  get replayer(): Replayer {
    return this.requireParts().replayer;
  }

  get recordings(): RecordingManager {
    return this.requireParts().recordings;
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
    const c = this.config;
    const secretBox = await this.store.secretBox(c.secretKey);
    await this.pool.start();
    const recordings = new RecordingManager({
      pool: this.pool,
      store: this.store,
      logger: this.logger,
      registry: this.registry,
      secretBox,
      idleTimeoutMs: c.recordingIdleTimeoutMs,
      maxDurationMs: c.recordingMaxDurationMs,
      maxConcurrent: c.recordingMaxConcurrent,
      harLimitBytes: c.harLimitBytes,
      livenessMs: c.recordingLivenessMs,
      policy: new AddressPolicy({ allowLoopback: c.recordingAllowLocal || c.allowLoopback, allowPrivate: c.recordingAllowLocal || c.allowPrivate }),
    });
    const replayer = new Replayer({
      store: this.store,
      pool: this.pool,
      logger: this.logger,
      registry: this.registry,
      secretBox,
      allowLoopback: c.allowLoopback,
      allowPrivate: c.allowPrivate,
      stepTimeoutMs: c.stepTimeoutMs,
      runDeadlineMs: c.runDeadlineMs,
      maxResponseBytes: c.maxResponseBytes,
      breaker: { failureThreshold: c.breakerFailures, resetMs: c.breakerResetMs, maxResetMs: c.breakerMaxResetMs },
      clock: this.clock,
    });
    const queue = new RunQueue({
      redisUrl: c.redisUrl,
      prefix: c.keyPrefix,
      store: this.store,
      logger: this.logger,
      registry: this.registry,
      maxWaiting: c.queueMaxWaiting,
      workflowMaxConcurrency: c.workflowMaxConcurrency,
      workflowMaxPerMinute: c.workflowMaxPerMinute,
      historyLimit: c.runHistoryLimit,
      secretBox,
      clock: this.clock,
    });
    this.parts = { secretBox, recordings, replayer, queue };
    this.workflows = new WorkflowCache({ store: this.store });
    const webhookPolicy = new AddressPolicy({ allowLoopback: c.allowLoopback, allowPrivate: c.allowPrivate });
    if (this.opts.worker !== false) {
      this.parts.worker = new RunWorker({
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
        execute: (run, job) => this.execute(run, job.inputs, job.signal, job.workflowVersion, job.attempt),
      });
    }
    // With Redis up, start() returns with queue and worker running; with Redis away the API still
    // serves (/readyz and run calls say why) and the queue starts once Redis answers.
    const redisUp = await this.store.ping(3000).then(
      () => true,
      () => false,
    );
    if (redisUp && (await this.startQueue())) this.queueStarted = true;
    else this.queueStarting = this.retryQueue();
    if (this.opts.api !== false) {
      this.ingest = new IngestPool({
        store: this.store,
        logger: this.logger,
        registry: this.registry,
        secretBox,
        sealKey: await sealKeyOf(this.store, c.secretKey, secretBox),
        harLimitBytes: c.harLimitBytes,
        threads: c.harIngestThreads,
      });
      this.parts.app = buildApp({
        config: c,
        logger: this.logger,
        registry: this.registry,
        open: [healthRoutes({ store: this.store, registry: this.registry, checks: { pool: () => this.pool.check() } })],
        v1: [
          recordingRoutes({ config: c, store: this.store, recordings, ingest: this.ingest }),
          workflowRoutes({ store: this.store, clock: this.clock, recordings, onDelete: (id, wf) => this.workflowDeleted(id, wf.recordingId) }),
          runRoutes({ store: this.store, queue, workflows: this.workflows, validateInputs: (wf, inputs) => replayer.validateInputs(wf, inputs) }),
          openapiRoutes({ store: this.store }),
        ],
      });
      // Recordings live in API processes: keep ours marked alive, fail those of dead processes.
      recordings.startSweeper();
    }
  }

  /** Starts queue and worker within a bound; false (and both closed again) when Redis is not there. */
  private async startQueue(): Promise<boolean> {
    const { queue, worker } = this.requireParts();
    const bounded = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('Redis did not answer within 10 s')), 10_000).unref())]);
    try {
      await bounded(queue.start());
      if (worker) await bounded(worker.start());
      return true;
    } catch (err) {
      this.logger.warn('run queue not started; retrying', { error: (err as Error).message });
      await worker?.close().catch(() => {});
      await queue.close().catch(() => {});
      return false;
    }
  }

  private async retryQueue(): Promise<void> {
    while (!this.closing && !this.queueStarted) {
      await new Promise<void>((resolve) => {
        this.wakeRetry = resolve;
        this.queueRetry = setTimeout(resolve, 2000);
      });
      if (this.closing) return;
      const up = await this.store.ping(1000).then(
        () => true,
        () => false,
      );
      if (up && (await this.startQueue())) {
        this.queueStarted = true;
        this.logger.info('run queue started');
      }
    }
  }

  /**
   * What a worker does with a run: load its workflow and replay it. The version the API checked
   * the inputs against is reused from the cache without a read; a workflow changed since is read.
   */
  private async execute(
    run: { id: string; workflowId: string; requestedMode: 'auto' | 'http' | 'browser'; session: string },
    inputs: Record<string, unknown>,
    signal?: AbortSignal,
    workflowVersion?: string,
    attempt?: number,
  ) {
    const wf = this.workflows ? await this.workflows.get(run.workflowId, workflowVersion) : await this.store.get<Workflow>('workflow', run.workflowId);
    if (!wf) return { status: 'failed' as const, error: { code: 'not_found', message: `Workflow ${run.workflowId} was deleted` }, steps: [] };
    return this.replayer.run(wf, { inputs, mode: run.requestedMode, session: run.session, runId: run.id, attempt, signal });
  }

  /**
   * What hangs off a deleted workflow goes with it: its runs (records, indexes, bull jobs), its
   * sessions (every name) and its recording's link to it. A run executing now keeps its job until
   * it ends and may still write a session: swept again in the background until none is running.
   * The workflow itself is gone already, so a failed pass is not the caller's to retry (its DELETE
   * would answer 404): it is left to the background sweep too.
   */
  private async workflowDeleted(id: string, recordingId: string | undefined): Promise<void> {
    try {
      if ((await this.forgetWorkflow(id, recordingId)).length === 0) return;
    } catch (err) {
      this.logger.warn('runs and sessions of a deleted workflow not deleted yet; trying again', { workflowId: id, error: (err as Error).message });
    }
    void this.sweepDeleted(id, recordingId);
  }

  /** One pass; returns the ids of runs still executing (their jobs could not be removed yet). */
  private async forgetWorkflow(id: string, recordingId: string | undefined): Promise<string[]> {
    const { running } = await this.queue.deleteWorkflowRuns(id);
    await SessionStore.deleteWorkflow(this.store, id);
    if (recordingId) await this.unlinkRecording(recordingId, id);
    return running;
  }

  private async sweepDeleted(id: string, recordingId: string | undefined): Promise<void> {
    const until = Date.now() + this.config.runDeadlineMs + 60_000;
    let left: string[] = [];
    for (let delay = 1000; !this.closing && Date.now() < until; delay = Math.min(delay * 2, 15_000)) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (this.closing) break;
      try {
        left = await this.forgetWorkflow(id, recordingId);
        if (left.length === 0) return;
      } catch (err) {
        this.logger.warn('sweep of a deleted workflow failed; trying again', { workflowId: id, error: (err as Error).message });
      }
    }
    this.logger.warn('what a deleted workflow left could not all be deleted (runs still executing, or Redis away)', { workflowId: id, runs: left.length });
  }

  /** The recording no longer names the workflow learned from it (only while it still names this one). */
  private async unlinkRecording(recordingId: string, workflowId: string): Promise<void> {
    const key = this.store.key('recording', recordingId);
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const raw = await this.redis.get(key);
        if (raw === null) return;
        const rec = JSON.parse(raw) as { workflowId?: string };
        if (rec.workflowId !== workflowId) return;
        delete rec.workflowId;
        // Compare-and-set on the whole record: a recording written meanwhile is read again.
        if (Number(await this.redis.eval(SET_IF_UNCHANGED, 1, key, raw, JSON.stringify(rec))) === 1) return;
      }
    } catch (err) {
      throw new AppError('redis_unavailable', 'Redis is not reachable', undefined, 5, { cause: err });
    }
  }

  /** Starts listening; resolves with the base URL. */
  async listen(): Promise<string> {
    await this.start();
    const server = this.app.listen(this.config.port, this.config.host);
    this.server = server;
    // malformed HTTP (oversized headers, bad request lines) is answered in the API's error format too
    server.on('clientError', clientErrorHandler(this.logger.child({ module: 'http' })));
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
    clearTimeout(this.queueRetry);
    this.wakeRetry?.();
    await this.started?.catch(() => {});
    await this.queueStarting;
    const server = this.server;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), this.config.shutdownTimeoutMs).unref();
      await closed;
      clearTimeout(timer);
    }
    await this.ingest?.close();
    const p = this.parts;
    await p?.worker?.close().catch((err: Error) => this.logger.warn('worker close failed', { error: err.message }));
    await p?.recordings.close().catch((err: Error) => this.logger.warn('recordings close failed', { error: err.message }));
    await p?.queue.close().catch(() => {});
    await p?.replayer.close().catch(() => {});
    if (!this.opts.pool) await this.pool.drain().catch((err: Error) => this.logger.warn('pool drain failed', { error: err.message }));
    if (!this.opts.redis) await this.redis.quit().catch(() => this.redis.disconnect());
    this.logger.info('stopped');
  }
}
