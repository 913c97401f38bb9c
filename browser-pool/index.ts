export { BrowserPool } from './browser-pool.js';
export { EgressProxy } from './egress-proxy.js';
export type { EgressProxyOptions, EgressRules } from './egress-proxy-options.js';
export { launchOptions, resolveExecutable, chromiumArgs, SYSTEM_CHROMIUM } from './launch-options.js';
export { performAction } from './perform-action.js';
export { poolProcesses, type BrowserProcess } from './processes.js';
export type { BrowserPoolOptions, Lease, LeaseOptions, PoolStats } from './types.js';
export { LiveView, type LiveFrame, type LiveViewOptions } from './live-view.js';
export { LiveInputSchema, VIEWPORT_LIMITS, type LiveInput } from './live-input.js';
