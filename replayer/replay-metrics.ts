import { counter, DURATION_BUCKETS, gauge, histogram, type Registry } from '../core/index.js';
import type { CircuitState } from './circuit-breaker.js';

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** A histogram bound to its labels once (prom-client's labels()): no label object and closure per observation. */
interface Observer {
  observe(seconds: number): void;
}

/** The replayer's metrics, registered (get-or-create) on the registry it was given. */
export function replayMetrics(registry: Registry) {
  const runDuration = histogram(registry, { name: 'replayfarm_replay_run_duration_seconds', help: 'Duration of replay runs by final mode', labelNames: ['mode'] as const, buckets: DURATION_BUCKETS });
  const stepDuration = histogram(registry, { name: 'replayfarm_replay_step_duration_seconds', help: 'Duration of one replay step (HTTP request with its redirects, or browser action) by mode', labelNames: ['mode'] as const, buckets: DURATION_BUCKETS });
  const runChildren = new Map<string, Observer>();
  const m = {
    runs: counter(registry, { name: 'replayfarm_replay_runs_total', help: 'Replay runs by the mode they ended in and their status', labelNames: ['mode', 'status'] as const }),
    runDuration,
    stepDuration,
    /** stepDuration of HTTP steps, bound once for the hot path. */
    stepDurationHttp: stepDuration.labels({ mode: 'http' }) as Observer,
    fallbacks: counter(registry, { name: 'replayfarm_replay_fallbacks_total', help: 'Session repairs and browser fallbacks by reason', labelNames: ['reason'] as const }),
    sessionReuses: counter(registry, { name: 'replayfarm_replay_session_reuses_total', help: 'Runs that reused a stored session (login skipped)' }),
    retries: counter(registry, { name: 'replayfarm_replay_retries_total', help: 'Retried HTTP steps by cause', labelNames: ['reason'] as const }),
    circuit: gauge(registry, { name: 'replayfarm_replay_circuit_state', help: 'Circuit per target origin: 0 closed, 1 half-open, 2 open', labelNames: ['origin'] as const }),
    /** runDuration bound to a mode (made once per mode). */
    runDurationBy(mode: string): Observer {
      let child = runChildren.get(mode);
      if (!child) {
        child = runDuration.labels({ mode });
        runChildren.set(mode, child);
      }
      return child;
    },
    setCircuit(origin: string, state: CircuitState): void {
      m.circuit.set({ origin }, CIRCUIT_VALUE[state]);
    },
  };
  return m;
}

export type ReplayMetrics = ReturnType<typeof replayMetrics>;
