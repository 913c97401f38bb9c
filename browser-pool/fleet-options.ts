import { AppError, isAppError, type Logger } from '../core/index.js';
import type { Mode, PoolMetrics } from './pool-metrics.js';

/** What a BrowserFleet is built with: the pool's resolved options for one mode (see BrowserPoolOptions). */
export interface FleetOptions {
  mode: Mode;
  min: number;
  max: number;
  contextsPerBrowser: number;
  acquireTimeoutMs: number;
  maxWaiting: number;
  retireAfterLeases: number;
  maxAgeMs: number;
  idleTimeoutMs: number;
  executablePath: string | undefined;
  marker: string;
  /** The X display headed browsers use. */
  display?: string;
  logger: Logger;
  metrics: PoolMetrics;
  onChange: () => void;
}

/** generic-pool's acquire errors in the pool's words: busy, timed out, shutting down. */
export function acquireError(err: unknown, o: FleetOptions, lastLaunchError: AppError | undefined): AppError {
  if (isAppError(err)) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const last = lastLaunchError ? ` (last launch error: ${lastLaunchError.message})` : '';
  if (/max waitingClients/i.test(msg)) {
    return new AppError('pool_exhausted', `browser pool is busy: ${o.max} ${o.mode} browser(s) in use and ${o.maxWaiting} lease request(s) waiting`, { retryAfter: 1 });
  }
  if (/timed out/i.test(msg)) {
    return new AppError('pool_timeout', `no ${o.mode} browser context free within ${o.acquireTimeoutMs} ms${last}`, { retryAfter: 1 });
  }
  if (/draining/i.test(msg)) return new AppError('not_ready', 'browser pool is shutting down');
  return new AppError('browser_error', `browser pool error: ${msg}`);
}
