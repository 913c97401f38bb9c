import { randomBytes } from 'node:crypto';
import type { SerializedCookieJar } from 'tough-cookie';
import { Type } from '@sinclair/typebox';
import { globEscape, intOption, luaCommand, objectOption, readOptions, type Logger, type RedisStore, type SecretBox } from '../core/index.js';
import { SessionCache } from './session-cache.js';
import type { StoredSession } from './stored-session.js';

export type { StoredSession };

export interface SessionStoreOptions {
  store: RedisStore;
  /** Sessions unused this long are dropped by Redis (ms). Default 30 days. */
  ttlMs?: number;
  logger: Logger;
  /**
   * Seals each session (cookie jar + tokens) before it goes to Redis and opens it when read back:
   * live cookies are credentials. Only the in-process cache holds them open.
   */
  secretBox: SecretBox;
}

/** SessionStoreOptions as a schema: what must be there, and the TTL's bound and default. */
export const SessionStoreOptionsSchema = Type.Object({
  store: objectOption<RedisStore>(),
  ttlMs: intOption(1, 30 * 86_400_000),
  logger: objectOption<Logger>(),
  secretBox: objectOption<SecretBox>(),
});

const SAVE_IF_VERSION = luaCommand(import.meta.url, 'commands', 'save-session-if-version');
const SEAL_IN_PLACE = luaCommand(import.meta.url, 'commands', 'seal-session-in-place');
const UNLOCK = luaCommand(import.meta.url, 'commands', 'unlock');

/** How a sealed `data` field starts (SecretBox's format); a clear one is JSON and starts with `{`. */
const SEALED = 'v1.';

/**
 * Sessions in Redis, one hash per (workflow id, session name) under store.key('session', …),
 * plus a lock key around repairs (SET NX PX) so that concurrent runs log in once. The hash holds
 * `version` and `data`, the session sealed with the SecretBox (AES-256-GCM): sealing costs a
 * write (login, repair, new cookies), opening a Redis read; warm runs use the opened copy in the
 * in-process cache and pay neither.
 */
export class SessionStore {
  private readonly store: RedisStore;
  private readonly ttlMs: number;
  private readonly channel: string;
  private readonly cache: SessionCache;
  private readonly keys = new Map<string, Map<string, string>>();
  private readonly box: SecretBox;
  private readonly log: Logger;

  constructor(opts: SessionStoreOptions) {
    const o = readOptions<Required<SessionStoreOptions>>(SessionStoreOptionsSchema, opts, 'SessionStore');
    this.store = o.store;
    this.box = o.secretBox;
    this.log = o.logger;
    this.ttlMs = o.ttlMs;
    this.channel = opts.store.key('session-writes');
    this.cache = new SessionCache({ connect: () => opts.store.duplicate({ enableOfflineQueue: true, lazyConnect: false }), channel: this.channel, logger: opts.logger });
  }

  /** The session from the in-process cache, when it is live and fresh (no Redis round trip, no promise). */
  cached(key: string): StoredSession | undefined {
    this.cache.ensureStarted();
    return this.cache.get(key);
  }

  /**
   * The session for a run's start: from the in-process cache when it is live and fresh, else
   * from Redis (then cached). Repairs use load(), which always reads Redis.
   */
  async loadForRun(key: string): Promise<StoredSession | undefined> {
    this.cache.ensureStarted();
    const hit = this.cache.get(key);
    if (hit) return hit;
    const epoch = this.cache.currentEpoch;
    const s = await this.load(key);
    if (s) this.cache.set(key, s, epoch);
    return s;
  }

  async close(): Promise<void> {
    await this.cache.close();
  }

  key(workflowId: string, name: string): string {
    // Asked once per run: the same few strings, built once.
    let byName = this.keys.get(workflowId);
    if (!byName) {
      if (this.keys.size >= 10_000) this.keys.clear();
      this.keys.set(workflowId, (byName = new Map()));
    }
    let key = byName.get(name);
    if (key === undefined) byName.set(name, (key = this.store.key('session', workflowId, name)));
    return key;
  }

  async load(key: string): Promise<StoredSession | undefined> {
    const [version, data] = await this.store.call((r) => r.hmget(key, 'version', 'data'));
    if (!data) return undefined;
    if (!data.startsWith(SEALED)) return this.fromClear(key, data);
    try {
      return JSON.parse(this.box.open(data)) as StoredSession;
    } catch {
      // Sealed with another key (SECRET_KEY changed) or damaged: a fresh login replaces it, at
      // the version it has, so that the save after that login is taken.
      this.log.warn('stored session cannot be opened; the next run logs in again', { key });
      return { version: Number(version) || 0, jar: undefined as unknown as SerializedCookieJar, tokens: {}, loggedIn: false, loginAt: 0, updatedAt: 0 };
    }
  }

  /** A session stored before sessions were sealed: used as it is, and sealed in Redis now. */
  private fromClear(key: string, data: string): StoredSession | undefined {
    let s: StoredSession;
    try {
      s = JSON.parse(data) as StoredSession;
    } catch {
      return undefined;
    }
    this.store.eval(SEAL_IN_PLACE, { session: key }, { clear: data, sealed: this.box.seal(data) }).catch((err: Error) => this.log.warn('clear-text session not sealed yet', { key, error: err.message }));
    return s;
  }

  /** Saves `s` as version s.version + 1 if the stored version is still s.version; false otherwise. */
  async save(key: string, s: StoredSession): Promise<boolean> {
    const next: StoredSession = { ...s, version: s.version + 1, updatedAt: Date.now() };
    const epoch = this.cache.currentEpoch;
    const args = { expected: String(s.version), version: String(next.version), data: this.box.seal(JSON.stringify(next)), ttlMs: String(this.ttlMs), channel: this.channel };
    if ((await this.store.eval(SAVE_IF_VERSION, { session: key }, args)) !== 'saved') {
      this.cache.delete(key);
      return false;
    }
    s.version = next.version;
    this.cache.set(key, next, epoch);
    return true;
  }

  /**
   * Deletes every session of a workflow, whatever its name, with the repair locks, and drops them
   * from every process's cache; returns how many sessions there were. Static: the workflow's
   * delete needs no SessionStore of its own (and its cache), only the store and the channel.
   */
  static async deleteWorkflow(store: RedisStore, workflowId: string): Promise<number> {
    const keys = await store.deleteMatching(`session:${globEscape(workflowId)}:*`);
    const sessions = keys.filter((k) => !k.endsWith(':lock'));
    if (sessions.length === 0) return 0;
    // A session cached in a process must not outlive its key (deletes are announced like delete()).
    const channel = store.key('session-writes');
    await store.call((r) => {
      const multi = r.multi();
      for (const k of sessions) multi.publish(channel, `${Number.MAX_SAFE_INTEGER} ${k}`);
      return multi.exec();
    });
    return sessions.length;
  }

  /** A lock token when taken, undefined when another run holds the lock. */
  async lock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomBytes(12).toString('hex');
    const res = await this.store.call((r) => r.set(key + ':lock', token, 'PX', Math.max(1000, Math.ceil(ttlMs)), 'NX'));
    return res === 'OK' ? token : undefined;
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.store.eval(UNLOCK, { lock: key + ':lock' }, { token }).catch(() => undefined);
  }

  /** Waits until the lock is free (or timeoutMs passed); true when it was released in time. */
  async waitUnlocked(key: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    let delay = 50;
    while (Date.now() < until && !signal?.aborted) {
      const held = await this.store.call((r) => r.exists(key + ':lock'));
      if (!held) return true;
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, until - Date.now()))));
      delay = Math.min(delay * 2, 500);
    }
    return false;
  }
}
