import { Type } from '@sinclair/typebox';
import { functionOption, intOption, numberOption, optionError, readOptions } from '../core/index.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive transient failures of an origin that open its circuit. Default 5. */
  failureThreshold?: number;
  /** How long a newly opened circuit fails fast before the next request becomes its trial (ms). Default 5000. */
  resetMs?: number;
  /** Each failed trial doubles the open period, up to this (ms); a success brings it back to resetMs. Default the larger of 60000 and resetMs. */
  maxResetMs?: number;
  /**
   * Longest a trial may keep the others waiting without an answer (its run was cancelled, or it
   * failed in a way that says nothing about the site): then the next caller becomes the trial (ms).
   * Default 30000.
   */
  trialTimeoutMs?: number;
  clock?: () => number;
  /** Called on every state change (metrics). */
  onState?: (origin: string, state: CircuitState) => void;
}

/** CircuitBreakerOptions as a schema: bounds and defaults in one place (maxResetMs's default depends on resetMs: see below). */
export const CircuitBreakerOptionsSchema = Type.Object({
  failureThreshold: intOption(1, 5),
  resetMs: numberOption(0, 5000),
  maxResetMs: Type.Optional(numberOption(0)),
  trialTimeoutMs: numberOption(1, 30_000),
  clock: Type.Optional(functionOption<() => number>()),
  onState: Type.Optional(functionOption<NonNullable<CircuitBreakerOptions['onState']>>()),
});

export type ResolvedBreakerOptions = Required<Omit<CircuitBreakerOptions, 'onState'>> & Pick<CircuitBreakerOptions, 'onState'>;

/** Checks a breaker's options once, at construction, and fills in the defaults. */
export function resolveBreakerOptions(opts: CircuitBreakerOptions): ResolvedBreakerOptions {
  const o = readOptions<ResolvedBreakerOptions>(CircuitBreakerOptionsSchema, opts, 'CircuitBreaker');
  o.clock ??= Date.now;
  o.maxResetMs ??= Math.max(60_000, o.resetMs);
  if (o.maxResetMs < o.resetMs) throw optionError('CircuitBreaker', 'maxResetMs', `must be >= resetMs (${o.resetMs})`, o.maxResetMs);
  return o;
}
