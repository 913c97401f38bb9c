import { gunzipSync, gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import type { RedisOptions } from 'ioredis';
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

  constructor(opts: RedisStoreOptions) {
    if (!opts.redis) throw new Error('RedisStore: redis is required');
    this.redis = opts.redis;
    this.prefix = opts.prefix ?? '';
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

  /** A new connection to the same server (pub/sub subscribers): the caller owns it and closes it. */
  duplicate(opts: RedisOptions = {}): Redis {
    return this.redis.duplicate(opts);
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

  async deleteBlob(name: string): Promise<void> {
    await this.guard(() => this.redis.del(this.key('blob', name)));
  }

  /**
   * The SecretBox key: SECRET_KEY when configured; otherwise one generated once and kept in Redis
   * (development only: whoever reads Redis can then open the secrets).
   */
  async secretBox(configured: string | undefined): Promise<SecretBox> {
    if (configured) return SecretBox.fromString(configured);
    // the generated key lives in Redis: wait for a client that is still connecting
    await this.ping(10_000).catch(() => {
      throw new AppError('redis_unavailable', 'Redis is not reachable, and without SECRET_KEY the encryption key is kept there: start Redis or set SECRET_KEY');
    });
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
    let cursor = '0';
    do {
      const [next, keys] = await this.guard(() => this.redis.scan(cursor, 'MATCH', globEscape(this.prefix) + pattern, 'COUNT', 1000));
      cursor = next;
      if (keys.length) {
        await this.guard(() => this.redis.unlink(...keys));
        deleted.push(...keys);
      }
    } while (cursor !== '0');
    return deleted;
  }

  /** Deletes every key under the prefix (tests clean up with this). */
  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.prefix + '*', 'COUNT', 500);
      cursor = next;
      if (keys.length) await this.redis.del(...keys);
    } while (cursor !== '0');
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('redis_unavailable', 'Redis is not reachable', { retryAfter: 5, cause: err });
    }
  }
}

/** `s` with the characters Redis glob patterns treat specially (`*`, `?`, `[`, `]`, backslash) escaped. */
export function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}
