import type { Logger, RedisStore } from '../core/index.js';
import { SessionStore, type RunQueue } from '../replayer/index.js';

export interface WorkflowSweeperOptions {
  store: RedisStore;
  /** Deletes the runs (records, indexes, bull jobs) of a workflow. */
  queue: RunQueue;
  logger: Logger;
  /** How long a sweep keeps trying while runs of the workflow still execute (ms): the run deadline plus a margin. */
  sweepForMs: number;
}

/**
 * What hangs off a deleted workflow goes with it: its runs (records, indexes, bull jobs), its
 * sessions (every name) and its recording's link to it. A run executing now keeps its job until
 * it ends and may still write a session: swept again in the background until none is running.
 * The workflow itself is gone already, so a failed pass is not the caller's to retry (its DELETE
 * would answer 404): it is left to the background sweep too.
 */
export class WorkflowSweeper {
  private closed = false;

  constructor(private readonly o: WorkflowSweeperOptions) {}

  async deleted(id: string, recordingId: string | undefined): Promise<void> {
    try {
      if ((await this.forget(id, recordingId)).length === 0) return;
    } catch (err) {
      this.o.logger.warn('runs and sessions of a deleted workflow not deleted yet; trying again', { workflowId: id, error: (err as Error).message });
    }
    void this.sweep(id, recordingId);
  }

  /** Background sweeps stop at their next pass. */
  close(): void {
    this.closed = true;
  }

  /** One pass; returns the ids of runs still executing (their jobs could not be removed yet). */
  private async forget(id: string, recordingId: string | undefined): Promise<string[]> {
    const { running } = await this.o.queue.deleteWorkflowRuns(id);
    await SessionStore.deleteWorkflow(this.o.store, id);
    // The recording no longer names the workflow learned from it (only while it still names this one).
    if (recordingId) {
      await this.o.store.modify<{ workflowId?: string }>('recording', recordingId, (rec) => {
        if (rec.workflowId !== id) return undefined;
        const { workflowId: _, ...rest } = rec;
        return rest;
      });
    }
    return running;
  }

  private async sweep(id: string, recordingId: string | undefined): Promise<void> {
    const until = Date.now() + this.o.sweepForMs;
    let left: string[] = [];
    for (let delay = 1000; !this.closed && Date.now() < until; delay = Math.min(delay * 2, 15_000)) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (this.closed) break;
      try {
        left = await this.forget(id, recordingId);
        if (left.length === 0) return;
      } catch (err) {
        this.o.logger.warn('sweep of a deleted workflow failed; trying again', { workflowId: id, error: (err as Error).message });
      }
    }
    this.o.logger.warn('what a deleted workflow left could not all be deleted (runs still executing, or Redis away)', { workflowId: id, runs: left.length });
  }
}
