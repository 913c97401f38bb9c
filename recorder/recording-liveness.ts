import { hostname } from 'node:os';
import { Type } from '@sinclair/typebox';
import { intOption, objectOption, readOptions, type Logger, type Recording, type RedisStore } from '../core/index.js';

export interface RecordingLivenessOptions {
  store: RedisStore;
  logger: Logger;
  /** A recording whose process has not said it is alive for this long is orphaned. */
  livenessMs: number;
  /** Who holds the recordings this announces (stored as the liveness value), e.g. `host:pid`. Default `<hostname>:<pid>`. */
  holder?: string;
}

export const RecordingLivenessOptionsSchema = Type.Object({
  store: objectOption<RedisStore>(),
  logger: objectOption<Logger>(),
  livenessMs: intOption(100),
  holder: Type.String({ minLength: 1, default: `${hostname()}:${process.pid}` }),
});

/**
 * Which open recordings still have a process behind them. A recording lives in the memory of the
 * process that holds its browser; if that process dies (SIGKILL, OOM, a lost host), its record
 * would say `recording` for ever. So every open recording has a key with a time to live that its
 * process refreshes, and any process may sweep: an open recording without its key is marked
 * `failed` (`recording_failed`), so whoever polls it gets a clear answer.
 */
export class RecordingLiveness {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;

  private readonly o: Required<RecordingLivenessOptions>;

  constructor(opts: RecordingLivenessOptions) {
    this.o = readOptions<Required<RecordingLivenessOptions>>(RecordingLivenessOptionsSchema, opts, 'RecordingLiveness');
  }

  private get openSet(): string {
    return this.o.store.key('recordings-open');
  }

  private liveKey(id: string): string {
    return this.o.store.key('recording-live', id);
  }

  /** Announces a new open recording (before its record is stored, so a sweep never sees it without a key). */
  async open(id: string): Promise<void> {
    await this.o.store.call((r) => r.multi().set(this.liveKey(id), this.o.holder, 'PX', this.o.livenessMs).sadd(this.openSet, id).exec());
  }

  /** The process that holds open recording `id` (its `holder`), or undefined when none says so. */
  async holderOf(id: string): Promise<string | undefined> {
    return (await this.o.store.call((r) => r.get(this.liveKey(id)))) ?? undefined;
  }

  /** The recording is closed (saved, failed or discarded). */
  async closed(id: string): Promise<void> {
    await this.o.store.call((r) => r.multi().del(this.liveKey(id)).srem(this.openSet, id).exec());
  }

  /**
   * Refreshes the keys of the recordings this process holds and sweeps the others, now and every
   * third of the liveness period, until stop().
   */
  start(held: () => Iterable<string>): void {
    if (this.timer) return;
    const tick = () => {
      this.sweeping ??= this.tick(held).finally(() => (this.sweeping = undefined));
    };
    this.timer = setInterval(tick, Math.max(50, Math.floor(this.o.livenessMs / 3))).unref();
    tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping?.catch(() => undefined);
  }

  private async tick(held: () => Iterable<string>): Promise<void> {
    try {
      const mine = new Set(held());
      if (mine.size) {
        await this.o.store.call((r) => {
          const multi = r.multi();
          for (const id of mine) multi.set(this.liveKey(id), this.o.holder, 'PX', this.o.livenessMs);
          return multi.exec();
        });
      }
      await this.sweep(mine);
    } catch (err) {
      // Redis away: the next tick tries again (server/redis-watch.ts says so once, not every tick).
      if ((err as { code?: string }).code !== 'redis_unavailable') this.o.logger.warn('recording liveness check failed', { error: (err as Error).message });
    }
  }

  /** Marks open recordings without a live process as failed; returns their ids. */
  async sweep(held: ReadonlySet<string> = new Set()): Promise<string[]> {
    const ids = (await this.o.store.call((r) => r.smembers(this.openSet))).filter((id) => !held.has(id));
    if (!ids.length) return [];
    const alive = await this.o.store.call((r) => r.mget(ids.map((id) => this.liveKey(id))));
    const orphaned: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (alive[i] !== null) continue;
      const id = ids[i]!;
      const rec = await this.o.store.get<Recording>('recording', id);
      if (rec?.status === 'recording') {
        const failed: Recording = {
          ...rec,
          status: 'failed',
          stoppedAt: new Date().toISOString(),
          stopReason: 'error',
          error: { code: 'recording_failed', message: 'the process that held this recording stopped (crashed or was killed) before saving it; nothing was kept, record again' },
        };
        await this.o.store.update('recording', id, failed);
        orphaned.push(id);
        this.o.logger.warn('orphaned recording marked failed', { recordingId: id });
      }
      await this.o.store.call((r) => r.srem(this.openSet, id));
    }
    return orphaned;
  }
}
