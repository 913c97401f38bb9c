import { counter, DURATION_BUCKETS, gauge, histogram, type Registry } from '../core/index.js';

export type Mode = 'headless' | 'headed';

/** The pool's Prometheus metrics (get-or-create: several pools may share one registry). */
export function poolMetrics(registry: Registry) {
  const g = (name: string, help: string) => gauge(registry, { name: `replayfarm_pool_${name}`, help, labelNames: ['mode'] as const });
  return {
    size: g('size', 'Lease slots (contexts) the browser pool holds, including slots being created'),
    available: g('available', 'Lease slots free for a lease right now'),
    borrowed: g('borrowed', 'Leases (browser contexts) in use'),
    pending: g('pending', 'Lease requests waiting for a slot'),
    browsers: g('browsers', 'Browsers running or launching, retiring ones included'),
    launches: counter(registry, { name: 'replayfarm_browser_launches_total', help: 'Browser launches, by outcome', labelNames: ['mode', 'outcome'] as const }),
    crashes: counter(registry, { name: 'replayfarm_browser_crashes_total', help: 'Browsers that disconnected without the pool closing them', labelNames: ['mode'] as const }),
    retirements: counter(registry, { name: 'replayfarm_browser_retirements_total', help: 'Browsers retired (no new leases, closed after the last one)', labelNames: ['mode', 'reason'] as const }),
    leaseFailures: counter(registry, { name: 'replayfarm_pool_lease_failures_total', help: 'lease() calls that failed, by error code', labelNames: ['mode', 'code'] as const }),
    leaseWait: histogram(registry, { name: 'replayfarm_pool_lease_wait_seconds', help: 'Time from lease() to a ready context', labelNames: ['mode'] as const, buckets: DURATION_BUCKETS }),
    leasesExpired: counter(registry, { name: 'replayfarm_pool_leases_expired_total', help: 'Leases held longer than POOL_MAX_LEASE_MS and taken back', labelNames: ['mode'] as const }),
    leaseDuration: histogram(registry, { name: 'replayfarm_pool_lease_duration_seconds', help: 'Time a lease was held, until its context closed', labelNames: ['mode'] as const, buckets: DURATION_BUCKETS }),
  };
}

export type PoolMetrics = ReturnType<typeof poolMetrics>;
