import { createRequire } from 'node:module';
import type Bull from 'bull';
import { connectRedis, type Redis } from '../../core/index.js';

/** bull, loaded by the first BullConnection: a process that only reads or writes run records (a CLI run) never pays for it. */
let BullClass: typeof Bull | undefined;

/** Every run job lives in this one bull queue (under the configured key prefix). */
export const QUEUE_NAME = 'runs';

export interface BullConnectionOptions {
  redisUrl: string;
  /** Key prefix as configured (`rf:`); bull joins prefix and name with its own `:`. */
  prefix: string;
  settings?: Bull.AdvancedSettings;
}

/**
 * A bull queue on Redis connections of its own. bull (v4) rejects ioredis >= 4 defaults on its
 * blocking and subscriber connections (they must not retry per request nor run a ready check),
 * and it does not close connections handed to it through createClient: we track and close them.
 */
export class BullConnection {
  readonly queue: Bull.Queue;
  private readonly clients: Redis[] = [];
  private closing?: Promise<void>;

  constructor(opts: BullConnectionOptions) {
    BullClass ??= createRequire(import.meta.url)('bull') as typeof Bull;
    this.queue = new BullClass(QUEUE_NAME, {
      prefix: bullPrefix(opts.prefix),
      settings: opts.settings,
      createClient: (type) => {
        const blocking = type === 'bclient' || type === 'subscriber';
        // a redis+cluster:// URL gives Cluster clients: bull works on them when every key shares
        // a slot, which the hash-tagged prefix that config.ts demands on a cluster ensures
        const client = connectRedis(opts.redisUrl, {
          maxRetriesPerRequest: blocking ? null : 2,
          enableReadyCheck: !blocking,
          connectTimeout: 2000,
          retryStrategy: (times) => Math.min(200 * times, 2000),
        });
        // bull forwards connection errors as queue 'error' events, one per reconnect attempt:
        // server/redis-watch.ts says once that Redis is away, so those are dropped here
        quietConnectionErrors(client);
        client.on('error', () => {});
        this.clients.push(client);
        return client;
      },
    });
    quietConnectionErrors(this.queue);
  }

  /**
   * Closes the queue; with `doNotWaitJobs` false, bull first waits for the jobs this process is
   * running. Connections are dropped afterwards even if bull's close fails.
   */
  close(doNotWaitJobs = false): Promise<void> {
    this.closing ??= this.queue
      .close(doNotWaitJobs)
      .catch(() => undefined)
      .finally(() => this.disconnect());
    return this.closing;
  }

  /** Drops every connection now (bounded shutdown: in-flight jobs are then recovered as stalled). */
  disconnect(): void {
    for (const c of this.clients) if (c.status !== 'end') c.disconnect();
  }
}

/** Errors that only say Redis is away (refused, reset, timed out, retries used up while reconnecting). */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE|EAI_AGAIN)$/.test(e?.code ?? '')) return true;
  return /max retries per request|Connection is closed|Stream isn't writeable|connect ETIMEDOUT|ClusterAllFailedError|Failed to refresh slots cache/i.test(e?.message ?? '');
}

/** Drops the emitter's connection 'error' events (an own emit, which ioredis and bull both call through). */
function quietConnectionErrors(emitter: { emit: (event: string | symbol, ...args: unknown[]) => boolean }): void {
  const emit = emitter.emit.bind(emitter);
  emitter.emit = (event, ...args) => (event === 'error' && isConnectionError(args[0]) ? false : emit(event, ...args));
}

/** `rf:` → `rf` so that bull keys read `rf:runs:…` and fall under the same prefix as the store. */
export function bullPrefix(prefix: string): string {
  return prefix.replace(/:+$/, '') || 'bull';
}
