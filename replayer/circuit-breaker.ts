import { AppError } from '../core/index.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive transient failures of an origin that open its circuit. Default 5. */
  failureThreshold?: number;
  /** How long an open circuit fails fast before one trial request is let through (ms). Default 30000. */
  resetMs?: number;
  clock?: () => number;
  /** Called on every state change (metrics). */
  onState?: (origin: string, state: CircuitState) => void;
}

interface Circuit {
  state: CircuitState;
  failures: number;
  openedAt: number;
  trialInFlight: boolean;
}

/**
 * One circuit per origin: after N consecutive transient failures, requests to that origin fail
 * fast with circuit_open instead of hammering a site that is down; after resetMs one trial
 * request decides whether it closes again. In-process: each worker learns on its own.
 */
export class CircuitBreaker {
  private readonly threshold: number;
  private readonly resetMs: number;
  private readonly clock: () => number;
  private readonly onState?: (origin: string, state: CircuitState) => void;
  private readonly circuits = new Map<string, Circuit>();

  constructor(opts: CircuitBreakerOptions = {}) {
    this.threshold = opts.failureThreshold ?? 5;
    this.resetMs = opts.resetMs ?? 30_000;
    if (!Number.isInteger(this.threshold) || this.threshold < 1) throw new TypeError('CircuitBreaker: failureThreshold must be a whole number >= 1');
    if (!(this.resetMs >= 0)) throw new TypeError('CircuitBreaker: resetMs must be >= 0');
    this.clock = opts.clock ?? Date.now;
    this.onState = opts.onState;
  }

  state(origin: string): CircuitState {
    return this.circuits.get(origin)?.state ?? 'closed';
  }

  /** Throws circuit_open when the origin's circuit is open (or half-open with its trial under way). */
  check(origin: string): void {
    const c = this.circuits.get(origin);
    if (!c || c.state === 'closed') return;
    const waited = this.clock() - c.openedAt;
    if (c.state === 'open' && waited >= this.resetMs) {
      this.set(origin, c, 'half_open');
    }
    if (c.state === 'half_open' && !c.trialInFlight) {
      c.trialInFlight = true;
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((this.resetMs - waited) / 1000));
    throw new AppError('circuit_open', `${origin} failed ${c.failures} times in a row; not contacting it for now`, undefined, retryAfter);
  }

  success(origin: string): void {
    const c = this.circuits.get(origin);
    if (!c) return;
    c.failures = 0;
    c.trialInFlight = false;
    if (c.state !== 'closed') this.set(origin, c, 'closed');
  }

  failure(origin: string): void {
    let c = this.circuits.get(origin);
    if (!c) {
      c = { state: 'closed', failures: 0, openedAt: 0, trialInFlight: false };
      this.circuits.set(origin, c);
    }
    c.failures++;
    c.trialInFlight = false;
    if (c.state === 'half_open' || (c.state === 'closed' && c.failures >= this.threshold)) {
      c.openedAt = this.clock();
      this.set(origin, c, 'open');
    }
  }

  private set(origin: string, c: Circuit, state: CircuitState): void {
    c.state = state;
    this.onState?.(origin, state);
  }
}
