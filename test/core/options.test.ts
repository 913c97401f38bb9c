import { hostname } from 'node:os';
import { expect } from 'chai';
import { Type } from '@sinclair/typebox';
import { AddressPolicy, createLogger, createRedis, createRegistry, intOption, objectOption, readOptions, RedisStore, SecretBox, type Logger } from '../../core/index.js';
import { BrowserPool, EgressProxy } from '../../browser-pool/index.js';
import { resolvePoolOptions } from '../../browser-pool/browser-pool-options.js';
import { resolveEgressOptions } from '../../browser-pool/egress-proxy-options.js';
import { IngestPool, RecordingManager } from '../../recorder/index.js';
import { IngestPoolOptionsSchema } from '../../recorder/ingest-pool.js';
import { RecordingLiveness, RecordingLivenessOptionsSchema } from '../../recorder/recording-liveness.js';
import { resolveManagerOptions } from '../../recorder/recording-options.js';
import { Replayer, RunQueue, RunWorker, SessionStore } from '../../replayer/index.js';
import { CircuitBreaker } from '../../replayer/circuit-breaker.js';
import { resolveBreakerOptions } from '../../replayer/circuit-breaker-options.js';
import { resolveReplayerOptions } from '../../replayer/replayer-options.js';
import { resolveQueueOptions } from '../../replayer/queue/run-queue-options.js';
import { resolveWorkerOptions } from '../../replayer/queue/run-worker-options.js';
import { SessionStoreOptionsSchema } from '../../replayer/session-store.js';
import { testPrefix } from '../helpers/prefix.js';

// Every component takes one options object, checked once at construction against one schema with
// its defaults: a bad option is refused with a TypeError naming the component and the field.
describe('core: component options (one schema each, defaults, clear refusals)', () => {
  const logger: Logger = createLogger({ silent: true });
  const registry = createRegistry();
  // lazyConnect: nothing here talks to Redis (constructors do no I/O)
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  const store = new RedisStore({ redis, prefix: testPrefix('options') });
  const secretKey = Buffer.alloc(32, 7);
  const secretBox = new SecretBox(secretKey);
  const pool = new BrowserPool({ logger, registry });
  const refused = (fn: () => unknown, message: RegExp) => expect(fn).to.throw(TypeError, message);

  after(() => redis.disconnect());

  it('readOptions: defaults fill what is missing or undefined; the caller’s object is left alone; nested fields are named', () => {
    const schema = Type.Object({ n: intOption(1, 3), inner: Type.Object({ m: intOption(0, 5) }, { default: {} }), logger: objectOption<Logger>() });
    const given = { n: undefined, logger };
    const o = readOptions<{ n: number; inner: { m: number } }>(schema, given, 'Thing');
    expect(o).to.deep.include({ n: 3, inner: { m: 5 } });
    expect(given).to.deep.equal({ n: undefined, logger });
    refused(() => readOptions(schema, { logger, inner: { m: -1 } }, 'Thing'), /^Thing: options\.inner\.m must be >= 0, got -1$/);
    refused(() => readOptions(schema, { n: 1.5, logger }, 'Thing'), /^Thing: options\.n must be a whole number, got 1\.5$/);
    refused(() => readOptions(schema, {}, 'Thing'), /^Thing: options\.logger is required$/);
    refused(() => readOptions(schema, { logger: 'x' }, 'Thing'), /^Thing: options\.logger must be an object/);
    refused(() => readOptions(schema, null, 'Thing'), /^Thing: options must be an object$/);
    // a string given is never echoed: it may be a secret
    refused(() => readOptions(Type.Object({ url: Type.String({ minLength: 1, pattern: '^redis:' }) }), { url: 'http://user:pw@host' }, 'Thing'), /^Thing: options\.url must match \^redis:$/);
    refused(() => readOptions(Type.Object({ url: Type.String({ minLength: 1 }) }), { url: '' }, 'Thing'), /^Thing: options\.url must not be empty$/);
  });

  it('BrowserPool', () => {
    refused(() => new BrowserPool({ logger, registry, max: 0 }), /^BrowserPool: options\.max must be >= 1, got 0$/);
    refused(() => new BrowserPool({ logger, registry, min: 3, max: 2 }), /^BrowserPool: options\.min must not exceed max \(2\), got 3$/);
    refused(() => new BrowserPool({ logger, registry, marker: 'a b' }), /^BrowserPool: options\.marker may hold only letters/);
    refused(() => new BrowserPool({ registry } as never), /^BrowserPool: options\.logger is required$/);
    const o = resolvePoolOptions({ logger, registry, max: 3 });
    expect(o).to.deep.include({ min: 0, max: 3, contextsPerBrowser: 4, acquireTimeoutMs: 30_000, maxWaiting: 16, retireAfterLeases: 100, maxLeaseMs: 0, executablePath: undefined });
    expect(o.marker).to.match(/^rf-[0-9a-f]{10}$/);
  });

  it('EgressProxy', () => {
    const policy = new AddressPolicy({ allowLoopback: true });
    refused(() => new EgressProxy({ policy, logger, connectTimeoutMs: 0 }), /^EgressProxy: options\.connectTimeoutMs must be >= 1, got 0$/);
    refused(() => new EgressProxy({ policy: {} as never, logger }), /^EgressProxy: options\.policy\.resolve is required$/);
    refused(() => new EgressProxy({ policy, logger, allow: 'all' as never }), /^EgressProxy: options\.allow must be a function/);
    const o = resolveEgressOptions({ policy, logger });
    expect(o.connectTimeoutMs).to.equal(30_000);
    expect(o.onRefused).to.be.a('function');
  });

  it('RecordingManager and RecordingLiveness', () => {
    const base = { pool, store, logger, registry, secretBox, idleTimeoutMs: 1000, maxDurationMs: 5000, maxConcurrent: 2, harLimitBytes: 1000 };
    refused(() => new RecordingManager({ ...base, maxConcurrent: 0 }), /^RecordingManager: options\.maxConcurrent must be >= 1, got 0$/);
    refused(() => new RecordingManager({ ...base, idleTimeoutMs: undefined as never }), /^RecordingManager: options\.idleTimeoutMs is required$/);
    refused(() => new RecordingManager({ ...base, pool: {} as never }), /^RecordingManager: options\.pool\.lease is required$/);
    const o = resolveManagerOptions(base);
    expect(o).to.deep.include({ actionTimeoutMs: 15_000, livenessMs: 30_000 });
    expect(o.harDir).to.be.a('string').and.not.empty;
    expect(o.policy).to.be.instanceOf(AddressPolicy);
    refused(() => new RecordingLiveness({ store, logger, livenessMs: 50 }), /^RecordingLiveness: options\.livenessMs must be >= 100, got 50$/);
    expect(readOptions(RecordingLivenessOptionsSchema, { store, logger, livenessMs: 100 }, 'RecordingLiveness')).to.include({ livenessMs: 100 });
  });

  it('IngestPool', async () => {
    const base = { store, logger, registry, secretBox, sealKey: secretKey, harLimitBytes: 1000 };
    refused(() => new IngestPool({ ...base, threads: 0 }), /^IngestPool: options\.threads must be >= 1, got 0$/);
    refused(() => new IngestPool({ ...base, sealKey: Buffer.alloc(32, 8) }), /^IngestPool: options\.sealKey is not the key of secretBox$/);
    expect(readOptions(IngestPoolOptionsSchema, base, 'IngestPool')).to.deep.include({ threads: 1, maxQueue: 8, idleTimeoutMs: 60_000, closeTimeoutMs: 10_000 });
    await new IngestPool(base).close();
  });

  it('Replayer and CircuitBreaker', async () => {
    const base = { store, pool, logger, registry, secretBox };
    refused(() => new Replayer({ ...base, stepTimeoutMs: 0 }), /^Replayer: options\.stepTimeoutMs must be >= 1, got 0$/);
    refused(() => new Replayer({ ...base, retries: { attempts: 0 } }), /^Replayer: options\.retries\.attempts must be >= 1, got 0$/);
    refused(() => new Replayer({ ...base, secretBox: undefined as never }), /^Replayer: options\.secretBox is required$/);
    const retries = { attempts: 5 };
    const o = resolveReplayerOptions({ ...base, retries });
    expect(o).to.deep.include({ allowLoopback: false, allowPrivate: false, stepTimeoutMs: 15_000, runDeadlineMs: 120_000, maxResponseBytes: 10 * 1024 * 1024 });
    expect(o.retries).to.deep.equal({ attempts: 5, baseDelayMs: 200, maxDelayMs: 5000 });
    expect(retries).to.deep.equal({ attempts: 5 });
    // The breaker a Replayer builds checks its own options.
    refused(() => new Replayer({ ...base, breaker: { resetMs: -1 } }), /^CircuitBreaker: options\.resetMs must be >= 0, got -1$/);
    refused(() => new CircuitBreaker({ resetMs: 10_000, maxResetMs: 5000 }), /^CircuitBreaker: options\.maxResetMs must be >= resetMs \(10000\), got 5000$/);
    expect(resolveBreakerOptions({})).to.deep.include({ failureThreshold: 5, resetMs: 5000, maxResetMs: 60_000, trialTimeoutMs: 30_000, clock: Date.now });
    expect(resolveBreakerOptions({ resetMs: 90_000 }).maxResetMs).to.equal(90_000);
  });

  it('SessionStore', () => {
    refused(() => new SessionStore({ store, logger, secretBox, ttlMs: 0 }), /^SessionStore: options\.ttlMs must be >= 1, got 0$/);
    refused(() => new SessionStore({ store, logger } as never), /^SessionStore: options\.secretBox is required$/);
    expect(readOptions(SessionStoreOptionsSchema, { store, logger, secretBox }, 'SessionStore')).to.include({ ttlMs: 30 * 86_400_000 });
  });

  it('RunQueue and RunWorker', () => {
    const base = { redisUrl: 'redis://127.0.0.1:6379', prefix: testPrefix('options-q'), store, logger, registry };
    refused(() => resolveQueueOptions({ ...base, maxWaiting: 0 }), /^RunQueue: options\.maxWaiting must be >= 1, got 0$/);
    refused(() => resolveQueueOptions({ ...base, backoffMs: -5 }), /^RunQueue: options\.backoffMs must be >= 0, got -5$/);
    expect(() => new RunQueue({ ...base, historyLimit: 1.5 })).to.throw(TypeError, /^RunQueue: options\.historyLimit must be a whole number, got 1\.5$/);
    expect(resolveQueueOptions(base)).to.deep.include({ maxWaiting: 1000, workflowMaxConcurrency: 16, workflowMaxPerMinute: 0, historyLimit: 200, attempts: 3, backoffMs: 1000, clock: Date.now });
    const queue = { ledger: {} as never };
    const execute = async () => ({});
    refused(() => new RunWorker({ queue, execute, logger, registry, concurrency: 0 }), /^RunWorker: options\.concurrency must be >= 1, got 0$/);
    refused(() => new RunWorker({ queue, execute: 'x' as never, logger, registry }), /^RunWorker: options\.execute must be a function/);
    const w = resolveWorkerOptions({ queue, execute, logger, registry });
    expect(w).to.deep.include({ concurrency: 8, shutdownTimeoutMs: 10_000, lockDurationMs: 10_000, stalledIntervalMs: 5000, maxStalledCount: 1, webhookTimeoutMs: 5000 });
    expect(w.workerId).to.equal(`${hostname()}:${process.pid}`);
  });
});
