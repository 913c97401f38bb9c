import { gunzipSync, gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Cluster, type RedisOptions } from 'ioredis';
import { AppError } from './errors.js';
import { commandArgs, luaCommand, type LuaCommand, type Redis } from './redis.js';
import { SecretBox } from './secret-box.js';

const SET_IF_UNCHANGED = luaCommand(import.meta.url, 'commands', 'set-if-unchanged');

export interface RedisStoreOptions {
  /** An ioredis client (core/redis.ts createRedis), connected or connecting; the store is its only user. */
  redis: Redis;
  /** Prepended to every key, e.g. `rf:` (tests use a prefix of their own). */
  prefix: string;
}

export type RecordKind = 'recording' | 'workflow' | 'run';

/** The last part of a kind's index key (`<prefix><kind>:index`): a name no record may take. */
const INDEX = 'index';
/** Whether `id` can name a record: not empty, and not the kind's index. */
const isRecordId = (id: string): boolean => typeof id === 'string' && id !== '' && id !== INDEX;

/**
 * JSON records (recordings, workflows, runs) and compressed blobs (HARs) in Redis, under one
 * key prefix. Records are listed newest first through sorted-set indexes.
 * Keys: `<prefix><kind>:<id>`, `<prefix><kind>:index`, `<prefix>idx:<name>`, `<prefix>blob:<name>`.
 * A record id is never `index` (nor empty): the index shares the kind's namespace, so such an id
 * reads as absent and cannot be written (the API refuses ids newId could not have made anyway).
 *
 * The one way to Redis for every part: the client stays private, and whatever goes through
 * call(), eval() or the record methods fails as `redis_unavailable` (503) when Redis is away.
 */
export class RedisStore {
  private readonly redis: Redis;
  readonly prefix: string;
  /** Why the client last failed to connect: a command refused meanwhile says only "Stream isn't writeable…". */
  private lastError?: Error;

  constructor(opts: RedisStoreOptions) {
    if (!opts.redis) throw new Error('RedisStore: redis is required');
    this.redis = opts.redis;
    this.prefix = opts.prefix ?? '';
    this.redis.on('error', (err: Error) => (this.lastError = err));
    this.redis.on('ready', () => (this.lastError = undefined));
  }

  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** The kind's newest-first index (a sorted set of ids). */
  indexKey(kind: RecordKind): string {
    return this.key(kind, INDEX);
  }

  private recordKey(kind: RecordKind, id: string): string {
    if (!isRecordId(id)) throw new Error(`RedisStore: ${JSON.stringify(id)} cannot be a ${kind} id (it would name an internal key)`);
    return this.key(kind, id);
  }

  /** Any command, pipeline or MULTI on the client, guarded: a failure is `redis_unavailable`. */
  call<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    return this.guard(() => fn(this.redis));
  }

  /**
   * Runs a Lua command (core/redis.ts luaCommand) with named keys and arguments: EVALSHA (the
   * script is not sent each time), EVAL once when Redis does not know it yet. Guarded.
   */
  eval<R = unknown>(cmd: LuaCommand, keys: Record<string, string | undefined>, args: Record<string, string | number>): Promise<R> {
    const c = commandArgs(cmd, keys, args);
    return this.guard(async () => {
      try {
        return (await this.redis.evalsha(cmd.sha, c.keys.length, ...c.keys, ...c.args)) as R;
      } catch (err) {
        if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
        return (await this.redis.eval(cmd.src, c.keys.length, ...c.keys, ...c.args)) as R;
      }
    });
  }

  /** A new connection to the same server or cluster (pub/sub subscribers): the caller owns it and closes it. */
  duplicate(opts: RedisOptions = {}): Redis {
    const r = this.redis as unknown;
    if (!(r instanceof Cluster)) return this.redis.duplicate(opts);
    const { lazyConnect, enableOfflineQueue, enableReadyCheck, ...node } = opts;
    const level = Object.fromEntries(Object.entries({ lazyConnect, enableOfflineQueue, enableReadyCheck }).filter(([, v]) => v !== undefined));
    return r.duplicate(undefined, { ...level, redisOptions: { ...r.options.redisOptions, ...node } }) as unknown as Redis;
  }

  /** Whether the client is a Redis Cluster's (REDIS_URL `redis+cluster://`). */
  get isCluster(): boolean {
    return (this.redis as unknown) instanceof Cluster;
  }

  /**
   * The servers that hold keys: the one server, or every master of a cluster (a SCAN or CONFIG
   * GET must ask each). Their commands are not guarded: go through call().
   */
  servers(): Redis[] {
    const r = this.redis as unknown;
    return r instanceof Cluster ? r.nodes('master') : [this.redis];
  }

  /** Follows the client's connection: `listener('down', error)` on an error, `listener('up')` when ready again. */
  onConnection(listener: (state: 'up' | 'down', error?: Error) => void): () => void {
    const up = () => listener('up');
    const down = (err: Error) => listener('down', err);
    this.redis.on('ready', up);
    this.redis.on('error', down);
    return () => {
      this.redis.off('ready', up);
      this.redis.off('error', down);
    };
  }

  /**
   * Changes a record with compare-and-set: `change` gets the stored value and returns the new one,
   * or undefined to leave it. A record written meanwhile is read again (up to 5 times). False when
   * the record is absent, was left, or kept changing.
   */
  async modify<T>(kind: RecordKind, id: string, change: (value: T) => T | undefined): Promise<boolean> {
    if (!isRecordId(id)) return false;
    const key = this.key(kind, id);
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await this.guard(() => this.redis.get(key));
      if (raw === null) return false;
      const next = change(JSON.parse(raw) as T);
      if (next === undefined) return false;
      if ((await this.eval(SET_IF_UNCHANGED, { record: key }, { expected: raw, next: JSON.stringify(next) })) === 'set') return true;
    }
    return false;
  }

  /** Resolves when Redis answers; a client still (re)connecting gets up to `waitMs` to get there. */
  async ping(waitMs = 1000): Promise<void> {
    if (this.redis.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.redis.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        this.redis.once('ready', done);
      });
    }
    await this.guard(() => this.redis.ping());
  }

  async get<T>(kind: RecordKind, id: string): Promise<T | undefined> {
    if (!isRecordId(id)) return undefined;
    const raw = await this.guard(() => this.redis.get(this.key(kind, id)));
    return raw == null ? undefined : (JSON.parse(raw) as T);
  }

  /** Writes a record and adds it to the kind's index and to `indexes` (named sorted sets). */
  async put<T>(kind: RecordKind, id: string, value: T, opts: { score?: number; indexes?: string[] } = {}): Promise<void> {
    const score = opts.score ?? Date.now();
    const multi = this.redis.multi().set(this.recordKey(kind, id), JSON.stringify(value)).zadd(this.indexKey(kind), score, id);
    for (const idx of opts.indexes ?? []) multi.zadd(this.key('idx', idx), score, id);
    await this.guard(() => multi.exec());
  }

  /** Overwrites an existing record without touching indexes. */
  async update<T>(kind: RecordKind, id: string, value: T): Promise<void> {
    const key = this.recordKey(kind, id);
    await this.guard(() => this.redis.set(key, JSON.stringify(value)));
  }

  async delete(kind: RecordKind, id: string, indexes: string[] = []): Promise<boolean> {
    if (!isRecordId(id)) return false;
    const multi = this.redis.multi().del(this.key(kind, id)).zrem(this.indexKey(kind), id);
    for (const idx of indexes) multi.zrem(this.key('idx', idx), id);
    const res = await this.guard(() => multi.exec());
    return Number(res?.[0]?.[1] ?? 0) > 0;
  }

  /** Newest first, from the kind's index or a named index. */
  async list<T>(kind: RecordKind, opts: { index?: string; limit?: number; offset?: number } = {}): Promise<T[]> {
    const idxKey = opts.index ? this.key('idx', opts.index) : this.indexKey(kind);
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? 50;
    const ids = await this.guard(() => this.redis.zrevrange(idxKey, offset, offset + limit - 1));
    if (ids.length === 0) return [];
    const raws = await this.guard(() => this.redis.mget(ids.map((id) => this.key(kind, id))));
    return raws.filter((r): r is string => r != null).map((r) => JSON.parse(r) as T);
  }

  /** Keeps the newest `keep` ids of a named index; deletes the older records; returns their ids. */
  async trimIndex(kind: RecordKind, index: string, keep: number): Promise<string[]> {
    const idxKey = this.key('idx', index);
    const old = await this.guard(() => this.redis.zrange(idxKey, 0, -(keep + 1)));
    if (old.length === 0) return [];
    const multi = this.redis.multi().zrem(idxKey, ...old).zrem(this.indexKey(kind), ...old);
    multi.del(...old.map((id) => this.key(kind, id)));
    await this.guard(() => multi.exec());
    return old;
  }

  async putBlob(name: string, data: Buffer | string): Promise<void> {
    await this.guard(() => this.redis.set(this.key('blob', name), gzipSync(data)));
  }

  async getBlob(name: string): Promise<Buffer | undefined> {
    const raw = await this.guard(() => this.redis.getBuffer(this.key('blob', name)));
    return raw == null ? undefined : gunzipSync(raw);
  }

  /** A blob as stored: its gzip-compressed bytes, for a caller that decompresses off this thread or sends them as they are. */
  async getBlobGzip(name: string): Promise<Buffer | undefined> {
    return (await this.guard(() => this.redis.getBuffer(this.key('blob', name)))) ?? undefined;
  }

  async deleteBlob(name: string): Promise<void> {
    await this.guard(() => this.redis.del(this.key('blob', name)));
  }

  /**
   * The SecretBox key: SECRET_KEY when configured; otherwise one generated once and kept in Redis
   * (development only: whoever reads Redis can then open the secrets).
   */
  async secretBox(configured: string | undefined): Promise<SecretBox> {
    if (configured) return SecretBox.fromString(configured);
    // the generated key lives in Redis: wait for a client that is still connecting (a failure
    // is redis_unavailable with its cause: the CLI names REDIS_URL and what to do)
    await this.ping(10_000);
    const k = this.key('secret-key');
    await this.guard(() => this.redis.set(k, randomBytes(32).toString('hex'), 'NX'));
    const raw = await this.guard(() => this.redis.get(k));
    return SecretBox.fromString(raw!);
  }

  /**
   * Deletes every key under the prefix that `pattern` (a SCAN glob, after the prefix) matches and
   * returns their names. Escape what comes from outside with globEscape. SCAN does not block
   * Redis, but a key written while it runs may be missed: callers racing writers call it again.
   */
  async deleteMatching(pattern: string): Promise<string[]> {
    const deleted: string[] = [];
    await this.guard(() => this.scanDelete(globEscape(this.prefix) + pattern, 1000, deleted));
    return deleted;
  }

  /** Deletes every key under the prefix (tests clean up with this). */
  async clear(): Promise<void> {
    await this.scanDelete(this.prefix + '*', 500, []);
  }

  /**
   * SCAN and UNLINK on each server (a cluster's keys are spread over its masters, and SCAN sees one
   * node only). On a cluster each key goes alone: a node holds many slots, and UNLINK of keys from
   * two slots is refused there even when one node holds both.
   */
  private async scanDelete(match: string, count: number, deleted: string[]): Promise<void> {
    const cluster = this.isCluster;
    for (const server of this.servers()) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', match, 'COUNT', count);
        cursor = next;
        if (keys.length === 0) continue;
        if (cluster) await keys.reduce((p, k) => p.unlink(k), server.pipeline()).exec();
        else await server.unlink(...keys);
        deleted.push(...keys);
      } while (cursor !== '0');
    }
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError) throw err;
      const offline = /Stream isn't writeable|Connection is closed|enableOfflineQueue/.test(String((err as Error)?.message));
      throw new AppError('redis_unavailable', 'Redis is not reachable', { retryAfter: 5, cause: offline && this.lastError ? this.lastError : err });
    }
  }
}

/** `s` with the characters Redis glob patterns treat specially (`*`, `?`, `[`, `]`, backslash) escaped. */
export function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
