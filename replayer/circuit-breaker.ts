import { AppError } from '../core/index.js';
import { resolveBreakerOptions, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker-options.js';

export type { CircuitBreakerOptions, CircuitState };

/**
 * What a caller waits with while another caller's trial request decides an origin's fate. A run's
 * RunAbort fits as it is; anything with the same surface does.
 */
export interface BreakerWaiter {
  readonly aborted: boolean;
  /** Thrown (when an Error) if the caller is aborted while it waits. */
  readonly reason: unknown;
  /** The caller waits no later than this (epoch ms, Date.now's clock). */
  readonly deadline?: number;
  once(event: 'abort', listener: () => void): unknown;
  removeListener(event: 'abort', listener: () => void): unknown;
  /** Called when the deadline passes during a wait (RunAbort: aborts the run with its deadline reason). */
  expire?(): void;
}

interface Trial {
  /** Settles once the trial has an outcome or was given up: waiters then look again. */
  done: Promise<void>;
  settle: () => void;
  timer: NodeJS.Timeout;
  holder?: BreakerWaiter;
  onHolderAbort?: () => void;
}

interface Circuit {
  state: CircuitState;
  failures: number;
  /** When the open period ends (clock ms). */
  openUntil: number;
  /** The open period now in force: resetMs, doubled by each failed trial, capped at maxResetMs. */
  openMs: number;
  trial?: Trial;
}

/**
 * One circuit per origin: after N consecutive transient failures (connection refused/reset,
 * timeouts, 5xx: the caller reports only those as failures), requests to that origin fail fast
 * with circuit_open and a Retry-After of the open time left. The first request after the open
 * period is the trial; requests arriving while it is in flight wait for its outcome (within their
 * own deadline) and then go ahead if it closed the circuit, or fail fast if it opened it again,
 * for twice as long as before. In-process: each worker learns on its own.
 */
export class CircuitBreaker {
  private readonly threshold: number;
  private readonly resetMs: number;
  private readonly maxResetMs: number;
  private readonly trialTimeoutMs: number;
  private readonly clock: () => number;
  private readonly onState?: (origin: string, state: CircuitState) => void;
  private readonly circuits = new Map<string, Circuit>();

  constructor(opts: CircuitBreakerOptions = {}) {
    const o = resolveBreakerOptions(opts);
    this.threshold = o.failureThreshold;
    this.resetMs = o.resetMs;
    this.maxResetMs = o.maxResetMs;
    this.trialTimeoutMs = o.trialTimeoutMs;
    this.clock = o.clock;
    this.onState = opts.onState;
  }

  state(origin: string): CircuitState {
    return this.circuits.get(origin)?.state ?? 'closed';
  }

  /**
   * Lets a request to `origin` go, or says when: undefined (go now) while the circuit is closed,
   * the usual case, so the warm path makes no promise. Otherwise a promise that resolves when the
   * request may go (it is the trial, or the trial closed the circuit) and rejects with circuit_open
   * while the circuit is open, or with the waiter's reason when it is aborted or its deadline passes.
   */
  enter(origin: string, waiter?: BreakerWaiter): Promise<void> | undefined {
    const c = this.circuits.get(origin);
    if (c === undefined || c.state === 'closed') return undefined;
    return this.admit(origin, c, waiter);
  }

  /** enter() without waiting: throws circuit_open while the circuit is open or its trial is in flight. */
  check(origin: string): void {
    const c = this.circuits.get(origin);
    if (!c || c.state === 'closed') return;
    if (c.state === 'open') {
      const left = c.openUntil - this.clock();
      if (left > 0) throw this.openError(origin, c, left);
      this.set(origin, c, 'half_open');
    }
    if (!c.trial) {
      this.beginTrial(c);
      return;
    }
    throw new AppError('circuit_open', `${origin} failed ${c.failures} times in a row; a trial request is under way`, { retryAfter: 1 });
  }

  success(origin: string): void {
    const c = this.circuits.get(origin);
    if (c === undefined) return;
    c.failures = 0;
    if (c.state === 'closed') return;
    c.openMs = this.resetMs;
    this.set(origin, c, 'closed');
    this.endTrial(c);
  }

  failure(origin: string): void {
    let c = this.circuits.get(origin);
    if (!c) {
      c = { state: 'closed', failures: 0, openUntil: 0, openMs: this.resetMs };
      this.circuits.set(origin, c);
    }
    c.failures++;
    if (c.state === 'half_open') {
      c.openMs = Math.min(this.maxResetMs, c.openMs * 2);
      this.open(origin, c);
      this.endTrial(c);
    } else if (c.state === 'closed' && c.failures >= this.threshold) {
      this.open(origin, c);
    }
    // Open: a request sent before the circuit opened failed late; the open period stands.
  }

  private async admit(origin: string, c: Circuit, waiter: BreakerWaiter | undefined): Promise<void> {
    for (;;) {
      if (waiter?.aborted) throw reasonOf(waiter);
      if (c.state === 'closed') return;
      if (c.state === 'open') {
        const left = c.openUntil - this.clock();
        if (left > 0) throw this.openError(origin, c, left);
        this.set(origin, c, 'half_open');
      }
      if (!c.trial) {
        this.beginTrial(c, waiter);
        return;
      }
      await waitFor(c.trial, waiter);
    }
  }

  private open(origin: string, c: Circuit): void {
    c.openUntil = this.clock() + c.openMs;
    this.set(origin, c, 'open');
  }

  private openError(origin: string, c: Circuit, leftMs: number): AppError {
    const s = Math.max(1, Math.ceil(leftMs / 1000));
    return new AppError('circuit_open', `${origin} failed ${c.failures} times in a row; not contacting it for ${s} s`, { retryAfter: s });
  }

  private beginTrial(c: Circuit, holder?: BreakerWaiter): void {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const trial: Trial = { done, settle, timer: setTimeout(() => c.trial === trial && this.endTrial(c), this.trialTimeoutMs) };
    trial.timer.unref?.();
    if (holder) {
      // A trial whose run is cancelled says nothing about the site: the next caller tries.
      trial.holder = holder;
      trial.onHolderAbort = () => c.trial === trial && this.endTrial(c);
      holder.once('abort', trial.onHolderAbort);
    }
    c.trial = trial;
  }

  private endTrial(c: Circuit): void {
    const t = c.trial;
    if (!t) return;
    c.trial = undefined;
    clearTimeout(t.timer);
    if (t.holder) t.holder.removeListener('abort', t.onHolderAbort!);
    t.settle();
  }

  private set(origin: string, c: Circuit, state: CircuitState): void {
    c.state = state;
    this.onState?.(origin, state);
  }
}

function reasonOf(w: BreakerWaiter): Error {
  return w.reason instanceof Error ? w.reason : new AppError('run_deadline_exceeded', 'The run ended while it waited for a trial request to its site');
}

/** Resolves when the trial settles; rejects when the waiter is aborted or its deadline passes first. */
function waitFor(trial: Trial, w: BreakerWaiter | undefined): Promise<void> {
  if (!w) return trial.done;
  return new Promise<void>((resolve, reject) => {
    let over = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      if (over) return;
      over = true;
      if (timer) clearTimeout(timer);
      w.removeListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => finish(reasonOf(w));
    w.once('abort', onAbort);
    if (w.deadline !== undefined) {
      timer = setTimeout(() => {
        w.expire?.();
        finish(reasonOf(w));
      }, Math.max(0, w.deadline - Date.now()));
      timer.unref?.();
    }
    trial.done.then(() => finish());
  });
}
