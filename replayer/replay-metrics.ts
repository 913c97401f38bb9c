import { counter, DURATION_BUCKETS, gauge, histogram, type Registry } from '../core/index.js';
import type { CircuitState } from './circuit-breaker.js';

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** A histogram bound to its labels once (prom-client's labels()): no label object and closure per observation. */
interface Observer {
  observe(seconds: number): void;
}

/**
 * Observations kept in a small buffer and handed to the histogram in batches: when the buffer
 * fills, and before every scrape (the histogram's collect). A run's hot path then only stores a
 * number; prom-client's bucket search and bookkeeping run together, off the run's latency.
 */
class BatchedObserver implements Observer {
  private readonly buf = new Float64Array(256);
  private n = 0;

  constructor(private readonly target: Observer) {}

  observe(seconds: number): void {
    this.buf[this.n++] = seconds;
    if (this.n === this.buf.length) this.flush();
  }

  flush(): void {
    const n = this.n;
    this.n = 0;
    for (let i = 0; i < n; i++) this.target.observe(this.buf[i]!);
  }
}

/** Increments counted here and added to the counter in one go (same moments as BatchedObserver). */
class BatchedCounter {
  private n = 0;

  constructor(private readonly target: { inc(n: number): void }) {}

  inc(): void {
    if (++this.n === 1024) this.flush();
  }

  flush(): void {
    if (this.n === 0) return;
    const n = this.n;
    this.n = 0;
    this.target.inc(n);
  }
}

/** `make` called once per distinct arguments, its result kept (all dropped when `max` are held). */
function memo<A extends string[], T>(make: (...args: A) => T, max = Infinity): (...args: A) => T {
  const kept = new Map<string, T>();
  return (...args) => {
    const key = args.join(' ');
    let v = kept.get(key);
    if (v === undefined) {
      if (kept.size >= max) kept.clear();
      kept.set(key, (v = make(...args)));
    }
    return v;
  };
}

const perRegistry = new WeakMap<Registry, ReturnType<typeof create>>();

/** The replayer's metrics, registered (get-or-create) on the registry it was given; one set per registry. */
export function replayMetrics(registry: Registry) {
  let m = perRegistry.get(registry);
  if (!m) perRegistry.set(registry, (m = create(registry)));
  return m;
}

function create(registry: Registry) {
  const batched: Array<{ flush(): void }> = [];
  const flushAll = () => {
    for (const b of batched) b.flush();
  };
  const bind = (target: Observer): BatchedObserver => {
    const b = new BatchedObserver(target);
    batched.push(b);
    return b;
  };
  const bindCounter = (target: { inc(n: number): void }): BatchedCounter => {
    const b = new BatchedCounter(target);
    batched.push(b);
    return b;
  };
  const runDuration = histogram(registry, { name: 'replayfarm_replay_run_duration_seconds', help: 'Duration of replay runs by final mode', labelNames: ['mode'] as const, buckets: DURATION_BUCKETS, collect: flushAll });
  const stepDuration = histogram(registry, { name: 'replayfarm_replay_step_duration_seconds', help: 'Duration of one replay step (HTTP request with its redirects, or browser action) by mode', labelNames: ['mode'] as const, buckets: DURATION_BUCKETS, collect: flushAll });
  const runs = counter(registry, { name: 'replayfarm_replay_runs_total', help: 'Replay runs by the mode they ended in and their status', labelNames: ['mode', 'status'] as const, collect: flushAll });
  const workflowRuns = counter(registry, {
    name: 'replayfarm_workflow_runs_total',
    help: "Runs per workflow by the mode they ended in and whether a browser was used: browser=\"false\" over all is the workflow's HTTP hit ratio (runs that needed no browser)",
    labelNames: ['workflow', 'mode', 'browser'] as const,
    collect: flushAll,
  });
  const sessionReuses = counter(registry, { name: 'replayfarm_replay_session_reuses_total', help: 'Runs that reused a stored session (login skipped)', collect: flushAll });
  const m = {
    ...plainMetrics(registry),
    runs,
    runDuration,
    stepDuration,
    /** stepDuration of HTTP steps, bound once and batched for the hot path. */
    stepDurationHttp: bind(stepDuration.labels({ mode: 'http' })) as Observer,
    /** Batched (see BatchedCounter). */
    sessionReuses: bindCounter(sessionReuses) as { inc(): void },
    /** runDuration bound to a mode and batched (made once per mode). */
    runDurationBy: memo((mode: string): Observer => bind(runDuration.labels({ mode }))),
    /** workflowRuns bound to a workflow, mode and browser use ('true'/'false'), batched; bounded: the cache, not the metric. */
    workflowRunsBy: memo((workflow: string, mode: string, browser: string): { inc(): void } => bindCounter(workflowRuns.labels({ workflow, mode, browser })), 10_000),
    /** runs bound to (mode, status) and batched (made once per pair). */
    runsBy: memo((mode: string, status: string): { inc(): void } => bindCounter(runs.labels({ mode, status }))),
    setCircuit(origin: string, state: CircuitState): void {
      m.circuit.set({ origin }, CIRCUIT_VALUE[state]);
    },
  };
  return m;
}

/** The metrics counted as they happen (rare events: no batching). */
function plainMetrics(registry: Registry) {
  return {
    fallbacks: counter(registry, { name: 'replayfarm_replay_fallbacks_total', help: 'Session repairs and browser fallbacks by reason', labelNames: ['reason'] as const }),
    retries: counter(registry, { name: 'replayfarm_replay_retries_total', help: 'Retried HTTP steps by cause', labelNames: ['reason'] as const }),
    circuit: gauge(registry, { name: 'replayfarm_replay_circuit_state', help: 'Circuit per target origin: 0 closed, 1 half-open, 2 open', labelNames: ['origin'] as const }),
    /** Requests refused before they left (see refusalReason); http: the one that stopped a run, browser: each refused connection. */
    egressRefused: counter(registry, {
      name: 'replayfarm_replay_egress_refused_total',
      help: 'Requests of replays refused before they left, by mode and reason: origin (not one of the workflow\'s origins) or address (the address policy)',
      labelNames: ['mode', 'reason'] as const,
    }),
    /** Drift that sent a run to the browser, by workflow and the step that showed it. */
    drift: counter(registry, { name: 'replayfarm_replay_drift_total', help: 'Steps whose answer showed the site changed (the run fell back to the browser), by workflow and step', labelNames: ['workflow', 'step'] as const }),
  };
}

export type ReplayMetrics = ReturnType<typeof replayMetrics>;

/** The reason label of a refusal, from its message (the HTTP client's and the browser's egress rules say the same). */
export function refusalReason(message: string): 'origin' | 'address' {
  return /not one of the workflow's origins/.test(message) ? 'origin' : 'address';
}
