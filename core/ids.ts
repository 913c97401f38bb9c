import { randomUUID } from 'node:crypto';

/** A short, unguessable, prefixed id: `wf_3f2a…` (20 hex chars). */
export function newId(prefix: 'rec' | 'wf' | 'run' | 'req' | string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
}
