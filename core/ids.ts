import { randomUUID } from 'node:crypto';

const ID_BODY = /^[0-9a-f]{20}$/;

/** A short, unguessable, prefixed id: `wf_3f2a…` (20 hex chars). */
export function newId(prefix: 'rec' | 'wf' | 'run' | 'req' | string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

/**
 * Whether `value` has the shape newId(prefix) makes: the prefix, `_`, 20 lowercase hex digits.
 * Ids from outside (URL paths) are checked with this before they become Redis keys, so that no
 * id can name an internal key (`workflow:index`, `secret-key`, …).
 */
export function isId(prefix: 'rec' | 'wf' | 'run' | 'req' | string, value: unknown): value is string {
  return typeof value === 'string' && value.length === prefix.length + 21 && value.startsWith(`${prefix}_`) && ID_BODY.test(value.slice(prefix.length + 1));
}
