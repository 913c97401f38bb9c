import type { RedisStore } from './store.js';
import type { Workflow } from './workflow.js';

/** Why a version was made. */
export type VersionReason = 'learned' | 'edited' | 'relearned' | 'promoted' | 'healed';

export interface WorkflowVersionInfo {
  version: number;
  savedAt: string;
  reason: VersionReason;
  /** e.g. `version 2 made current again`. */
  note?: string;
  steps: number;
  inputs: string[];
}

interface Stored {
  info: WorkflowVersionInfo;
  workflow: Workflow;
}

/** A version learned from a drifted run that the browser got through, not current yet. */
export interface WorkflowCandidate {
  /** The version it was learned against (it replaces that one when promoted). */
  basedOn: number;
  proposedAt: string;
  /** Why it was learned: the drift the run met. */
  reason: string;
  runId?: string;
  /** How it was verified over HTTP, in words. */
  verified: string;
  /** What changes from the current version, in plain words. */
  changes: string[];
  /** Inputs of the current version it does not have (never promoted automatically). */
  lostInputs: string[];
  workflow: Workflow;
}

/** Versions kept per workflow (older ones are dropped as new ones come). */
export const VERSIONS_KEPT = 50;

/** A workflow's number: 1 until it was first changed. */
/** A person's settings of a workflow (heal policy, notify), carried onto a version learned again or healed. */
export function withSettingsOf<T extends Workflow>(from: Pick<Workflow, 'heal' | 'notify'>, to: T): T {
  const { heal: _h, notify: _n, ...rest } = to;
  return { ...rest, ...(from.heal ? { heal: from.heal } : {}), ...(from.notify ? { notify: { ...from.notify } } : {}) } as T;
}

export const versionOf = (wf: Pick<Workflow, 'version'>): number => wf.version ?? 1;

/**
 * Every state a workflow was stored in, one Redis hash per workflow (`versions:<id>`, field = the
 * version number), so that any version can be read, compared and made current again. A workflow
 * stored before versions existed gets its current state recorded as version 1 the first time it
 * changes (or its versions are listed), so no hook is needed where workflows are first learned.
 */
export class WorkflowVersions {
  constructor(
    private readonly store: RedisStore,
    private readonly keep = VERSIONS_KEPT,
  ) {}

  private key(id: string): string {
    return this.store.key('versions', id);
  }

  /** Records `wf` under its version number (replacing nothing already there), then drops the oldest past `keep`. */
  async record(wf: Workflow, reason: VersionReason, note?: string): Promise<void> {
    const info: WorkflowVersionInfo = { version: versionOf(wf), savedAt: wf.updatedAt, reason, ...(note ? { note } : {}), steps: wf.steps.length, inputs: wf.inputs.map((i) => i.name) };
    const stored: Stored = { info, workflow: wf };
    const fields = await this.store.call(async (r) => {
      await r.hsetnx(this.key(wf.id), String(info.version), JSON.stringify(stored));
      return r.hkeys(this.key(wf.id));
    });
    const old = fields.map(Number).sort((a, b) => a - b).slice(0, Math.max(0, fields.length - this.keep));
    if (old.length) await this.store.call((r) => r.hdel(this.key(wf.id), ...old.map(String)));
  }

  /** Makes sure the workflow's current state is in its history (as `learned` when it is the first). */
  async ensure(wf: Workflow): Promise<void> {
    await this.record(wf, versionOf(wf) === 1 ? 'learned' : 'edited');
  }

  /** Newest first. */
  async list(current: Workflow): Promise<WorkflowVersionInfo[]> {
    await this.ensure(current);
    const values = await this.store.call((r) => r.hvals(this.key(current.id)));
    return values.map((v) => (JSON.parse(v) as Stored).info).sort((a, b) => b.version - a.version);
  }

  async get(id: string, version: number): Promise<Workflow | undefined> {
    const raw = await this.store.call((r) => r.hget(this.key(id), String(version)));
    return raw ? (JSON.parse(raw) as Stored).workflow : undefined;
  }

  async remove(id: string): Promise<void> {
    await this.store.call((r) => r.del(this.key(id), this.candidateKey(id), this.fallbacksKey(id)));
  }

  private fallbacksKey(id: string): string {
    return this.store.key('fallbacks', id);
  }

  /** True the first time (in `ttlS`) a version of the workflow is said to fall back to the browser. */
  async firstFallback(id: string, version: number, ttlS: number): Promise<boolean> {
    const [[, first]] = (await this.store.call((r) => r.multi().hsetnx(this.fallbacksKey(id), String(version), String(Date.now())).expire(this.fallbacksKey(id), ttlS).exec())) as [[unknown, number]];
    return first === 1;
  }

  private candidateKey(id: string): string {
    return this.store.key('candidate', id);
  }

  /** Keeps `c` as the workflow's candidate (a newer one replaces it). */
  async propose(c: WorkflowCandidate): Promise<void> {
    await this.store.call((r) => r.set(this.candidateKey(c.workflow.id), JSON.stringify(c)));
  }

  async candidate(id: string): Promise<WorkflowCandidate | undefined> {
    const raw = await this.store.call((r) => r.get(this.candidateKey(id)));
    return raw ? (JSON.parse(raw) as WorkflowCandidate) : undefined;
  }

  /** Which of these workflows have a candidate waiting (one round trip). */
  async withCandidate(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const found = await this.store.call((r) => r.mget(...ids.map((id) => this.candidateKey(id))));
    return new Set(ids.filter((_, i) => found[i] !== null));
  }

  async dropCandidate(id: string): Promise<boolean> {
    return (await this.store.call((r) => r.del(this.candidateKey(id)))) > 0;
  }
}
