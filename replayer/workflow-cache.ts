import { createHash } from 'node:crypto';
import type { RedisStore, Workflow } from '../core/index.js';

export interface WorkflowCacheOptions {
  store: RedisStore;
  /** Workflows kept (the least recently loaded go first). Default 500. */
  max?: number;
}

interface Entry {
  raw: string;
  version: string;
  wf: Workflow;
}

/**
 * Parsed workflows keyed by the digest (SHA-1 hex, as Redis' Lua sha1hex computes it) of their
 * stored JSON, shared by the API side (RunSubmitter) and the worker side (RunExecutor) of a
 * process. The replayer memoises its compiled form and opened secrets per workflow object, so handing it the same object for an unchanged
 * workflow saves the parse, the compile and the decryption on every run. Any change to the stored
 * record (a PATCH) changes the digest, so later runs see it.
 */
export class WorkflowCache {
  private readonly store: RedisStore;
  private readonly max: number;
  private readonly byId = new Map<string, Entry>();

  constructor(opts: WorkflowCacheOptions) {
    if (!opts?.store) throw new TypeError('WorkflowCache: store is required');
    const max = opts.max ?? 500;
    if (!Number.isInteger(max) || max < 1) throw new TypeError(`WorkflowCache: max must be a whole number >= 1, got ${max}`);
    this.store = opts.store;
    this.max = max;
  }

  /** The stored workflow (one read) and its version; the cached object when the record is unchanged. */
  async load(id: string): Promise<{ wf: Workflow; version: string } | undefined> {
    // The raw JSON (not store.get): its digest is the version, and an unchanged one is not parsed again.
    const raw = await this.store.call((r) => r.get(this.store.key('workflow', id)));
    if (raw === null) {
      this.byId.delete(id);
      return undefined;
    }
    const hit = this.byId.get(id);
    if (hit && hit.raw === raw) return { wf: hit.wf, version: hit.version };
    const entry: Entry = { raw, version: digest(raw), wf: JSON.parse(raw) as Workflow };
    this.remember(id, entry);
    return { wf: entry.wf, version: entry.version };
  }

  /** The copy this process holds, without a read: its version must then be checked where it matters. */
  cached(id: string): { wf: Workflow; version: string } | undefined {
    const hit = this.byId.get(id);
    return hit && { wf: hit.wf, version: hit.version };
  }

  /** The workflow at `version` without a read when it is cached; otherwise the stored one (which may be newer). */
  async get(id: string, version?: string): Promise<Workflow | undefined> {
    const hit = this.byId.get(id);
    if (hit && version !== undefined && hit.version === version) return hit.wf;
    return (await this.load(id))?.wf;
  }

  private remember(id: string, entry: Entry): void {
    this.byId.delete(id);
    this.byId.set(id, entry);
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value!);
  }
}

function digest(raw: string): string {
  return createHash('sha1').update(raw).digest('hex');
}
