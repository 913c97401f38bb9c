import type { Logger, Redis, RedisStore, Run, WorkflowEvent } from '../core/index.js';
import type { RunQueue } from '../replayer/index.js';

export interface RunEventsOptions {
  store: RedisStore;
  queue: RunQueue;
  logger: Logger;
}

/** A run as it is queued, starts or finishes; or what happened to a workflow (core WorkflowEvent). */
type Listener = (event: Run | WorkflowEvent) => void;

/**
 * Runs as they are queued, start and finish, on any worker: one Redis subscriber per API process
 * (opened for the first follower, closed with the last), fanned out to every follower. Queued and
 * started runs come as their JSON on the ledger's events channel; finished ones on the done
 * channel, as JSON or (a run given up by the queue) as an id, read back here. Workflow events
 * (the healer's) come on the events channel too.
 */
export class RunEvents {
  private readonly listeners = new Set<Listener>();
  private readonly enders = new Map<Listener, () => void>();
  private sub?: Redis;
  private opening?: Promise<void>;

  constructor(private readonly o: RunEventsOptions) {}

  /**
   * Calls `listener` with every run event from now on, and `onEnd` if this closes first (the
   * process shuts down); resolves once subscribed, with the way to stop.
   */
  async follow(listener: Listener, onEnd: () => void = () => {}): Promise<() => void> {
    this.listeners.add(listener);
    this.enders.set(listener, onEnd);
    try {
      await this.open();
    } catch (err) {
      this.listeners.delete(listener);
      this.enders.delete(listener);
      throw err;
    }
    return () => {
      this.listeners.delete(listener);
      this.enders.delete(listener);
      if (this.listeners.size === 0) this.shut();
    };
  }

  get followers(): number {
    return this.listeners.size;
  }

  /** Ends every follower (their streams close) and the subscription. */
  close(): void {
    const enders = [...this.enders.values()];
    this.listeners.clear();
    this.enders.clear();
    this.shut();
    for (const end of enders) end();
  }

  private open(): Promise<void> {
    this.opening ??= this.subscribe().catch((err: unknown) => {
      this.shut();
      throw err;
    });
    return this.opening;
  }

  private async subscribe(): Promise<void> {
    const { queue } = this.o;
    const events = queue.ledger.eventsChannel;
    const done = queue.doneChannel;
    const sub = this.o.store.duplicate({ lazyConnect: true, maxRetriesPerRequest: null, enableReadyCheck: false });
    this.sub = sub;
    sub.on('error', () => {}); // an outage is reported once by redis-watch.ts, not per reconnect
    sub.on('message', (channel: string, message: string) => {
      if (message.startsWith('{')) return this.emit(message);
      if (channel === done) {
        queue.get(message).then(
          (run) => run && this.send(run),
          (err: Error) => this.o.logger.debug('a finished run could not be read for its followers', { runId: message, error: err.message }),
        );
      }
    });
    await this.o.store.call(async () => {
      await sub.connect();
      await sub.subscribe(events, done);
    });
  }

  private emit(json: string): void {
    try {
      this.send(JSON.parse(json) as Run | WorkflowEvent);
    } catch {
      /* not JSON */
    }
  }

  private send(event: Run | WorkflowEvent): void {
    for (const l of this.listeners) l(event);
  }

  private shut(): void {
    const sub = this.sub;
    this.sub = undefined;
    this.opening = undefined;
    sub?.disconnect();
  }
}
