import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { intOption, objectOption, optionError, readOptions, type Logger, type Registry } from '../core/index.js';
import type { BrowserPoolOptions } from './types.js';

/** BrowserPoolOptions (types.ts documents each field) as a schema: bounds and defaults in one place. */
export const BrowserPoolOptionsSchema = Type.Object({
  min: intOption(0, 0, 'Browsers kept warm'),
  max: intOption(1, 2, 'Most browsers of one mode at once'),
  contextsPerBrowser: intOption(1, 4, 'Concurrent leases on one browser'),
  acquireTimeoutMs: intOption(1, 30_000, 'Longest wait for a lease, ms'),
  maxWaiting: intOption(0, 16, 'Lease requests allowed to wait'),
  retireAfterLeases: intOption(1, 100, 'Leases before a browser retires'),
  maxAgeMs: intOption(1, 30 * 60_000, 'Age before a browser retires, ms'),
  idleTimeoutMs: intOption(1, 5 * 60_000, 'Idle time before a browser above min closes, ms'),
  maxLeaseMs: intOption(0, 0, 'A lease held longer is taken back, ms; 0 = no limit'),
  executablePath: Type.Optional(Type.String({ description: 'Chromium to launch; default: see resolveExecutable()' })),
  marker: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$', 'x-error': 'may hold only letters, digits, - and _', description: 'Tag on every browser process; default a random rf-… id' })),
  logger: objectOption<Logger>('Parent logger'),
  registry: objectOption<Registry>('Metrics registry'),
});

export type ResolvedPoolOptions = Required<Omit<BrowserPoolOptions, 'executablePath'>> & { executablePath: string | undefined };

/** Checks a pool's options once, at construction, and fills in the defaults. */
export function resolvePoolOptions(opts: BrowserPoolOptions): ResolvedPoolOptions {
  const o = readOptions<ResolvedPoolOptions>(BrowserPoolOptionsSchema, opts, 'BrowserPool');
  if (o.min > o.max) throw optionError('BrowserPool', 'min', `must not exceed max (${o.max})`, o.min);
  o.executablePath ||= undefined;
  o.marker ??= `rf-${randomBytes(5).toString('hex')}`;
  return o;
}
