export { BrowserPool } from './browser-pool.js';
export { EgressProxy, type EgressProxyOptions, type EgressRules } from './egress-proxy.js';
export { launchOptions, resolveExecutable, chromiumArgs, SYSTEM_CHROMIUM } from './launch-options.js';
export { performAction } from './perform-action.js';
export { poolProcesses, type BrowserProcess } from './processes.js';
export type { BrowserPoolOptions, Lease, LeaseOptions, PoolStats } from './types.js';
