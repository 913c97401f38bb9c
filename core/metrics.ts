import client from 'prom-client';

export type Registry = client.Registry;

/** A fresh registry with Node's default metrics; each component registers its own metrics on it. */
export function createRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new client.Registry();
  if (opts.defaultMetrics !== false) client.collectDefaultMetrics({ register: registry });
  return registry;
}

// get-or-create helpers: several instances of a component (tests, worker + API in one process)
// may share a registry, and prom-client throws on a second registration of a name.
export function counter<T extends string>(
  registry: Registry,
  cfg: { name: string; help: string; labelNames?: readonly T[]; collect?: (this: client.Counter<T>) => void | Promise<void> },
): client.Counter<T> {
  return (registry.getSingleMetric(cfg.name) as client.Counter<T>) ?? new client.Counter<T>({ ...cfg, registers: [registry] });
}

export function gauge<T extends string>(
  registry: Registry,
  cfg: { name: string; help: string; labelNames?: readonly T[]; collect?: (this: client.Gauge<T>) => void | Promise<void> },
): client.Gauge<T> {
  return (registry.getSingleMetric(cfg.name) as client.Gauge<T>) ?? new client.Gauge<T>({ ...cfg, registers: [registry] });
}

export function histogram<T extends string>(
  registry: Registry,
  cfg: { name: string; help: string; labelNames?: readonly T[]; buckets?: number[]; collect?: (this: client.Histogram<T>) => void | Promise<void> },
): client.Histogram<T> {
  return (registry.getSingleMetric(cfg.name) as client.Histogram<T>) ?? new client.Histogram<T>({ ...cfg, registers: [registry] });
}

/** Buckets in seconds from 1 ms to 60 s, for anything from an HTTP step to a browser run. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
