import type { Logger, Redis } from '../core/index.js';
import type { StoredSession } from './stored-session.js';

export interface SessionCacheOptions {
  /** Opens the connection the cache subscribes on (RedisStore.duplicate); the cache closes it. */
  connect: () => Redis;
  /** Pub/sub channel every session write is announced on. */
  channel: string;
  logger: Logger;
  /** Entries kept. Default 1000. */
  maxEntries?: number;
  /** An entry is read again from Redis after this long even without an announcement (ms). Default 60000. */
  ttlMs?: number;
}

interface Entry {
  session: StoredSession;
  at: number;
}

/**
 * Sessions of warm runs kept in process, so a healthy run makes no Redis round trip at all.
 * Entries are the opened sessions (Redis holds them sealed, see SessionStore): a warm run opens
 * nothing. They never leave the process.
 * Every session write (any process) is announced on a channel; an announced key is dropped here.
 * While the subscription is not live (starting, reconnecting) nothing is served from the cache,
 * and it is emptied, since announcements may have been missed. A stale entry served in the few
 * microseconds an announcement travels is harmless: the step fails as broken, the repair reads
 * Redis under the lock and adopts the newer session.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly max: number;
  private readonly ttlMs: number;
  private sub?: Redis;
  private live = false;
  /** Bumped on every announcement: a load that raced one is not cached. */
  private epoch = 0;
  private closed = false;

  constructor(private readonly o: SessionCacheOptions) {
    this.max = o.maxEntries ?? 1000;
    this.ttlMs = o.ttlMs ?? 60_000;
  }

  /** Starts the subscription on first use (runs never wait for it). */
  ensureStarted(): void {
    if (this.sub || this.closed) return;
    const sub = this.o.connect();
    this.sub = sub;
    const subscribe = () => {
      sub.subscribe(this.o.channel).then(
        () => {
          this.entries.clear();
          this.live = true;
        },
        () => undefined,
      );
    };
    sub.on('ready', subscribe);
    sub.on('close', () => this.down());
    sub.on('reconnecting', () => this.down());
    sub.on('error', () => this.down());
    sub.on('message', (_channel: string, message: string) => this.announced(message));
  }

  /** The epoch to pass to set() for a load started now. */
  get currentEpoch(): number {
    return this.epoch;
  }

  get(key: string, now = Date.now()): StoredSession | undefined {
    if (!this.live) return undefined;
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (now - e.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.session;
  }

  /** Caches a session read or written at `epoch` unless an announcement came in since. */
  set(key: string, session: StoredSession, epoch: number): void {
    if (!this.live || epoch !== this.epoch) return;
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { session, at: Date.now() });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.down();
    const sub = this.sub;
    this.sub = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  /** Message: `<version> <key>`; an entry at that version or newer (our own write) is kept. */
  private announced(message: string): void {
    this.epoch++;
    const sp = message.indexOf(' ');
    const version = Number(message.slice(0, sp));
    const key = message.slice(sp + 1);
    const e = this.entries.get(key);
    if (e && !(e.session.version >= version)) this.entries.delete(key);
  }

  private down(): void {
    if (this.live) this.o.logger.debug('session cache off until resubscribed', { channel: this.o.channel });
    this.live = false;
    this.epoch++;
    this.entries.clear();
  }
}
