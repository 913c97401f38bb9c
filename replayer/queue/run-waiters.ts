import { AppError, type Run } from '../../core/index.js';

const FINAL = new Set(['succeeded', 'failed']);
export const isFinished = (run: Run): boolean => FINAL.has(run.status);

interface Waiter {
  /** Re-reads the run; settles when it has finished (or is gone). */
  check(): void;
  /** Resolves with `run`, or with a fresh read when not given; only the first call counts. */
  settle(run?: Run): void;
}

/**
 * Callers waiting for runs to finish. wake(id) is called for each completion message; a waiter
 * then reads the record once. A message lost to a reconnect only costs the rest of the wait, which
 * ends with a fresh read anyway.
 */
export class RunWaiters {
  private readonly byRun = new Map<string, Set<Waiter>>();

  constructor(private readonly read: (runId: string) => Promise<Run | undefined>) {}

  /**
   * The run once finished, or as it is when `waitMs` passes; `not_found` when there is none.
   * `readFirst` false skips the first read, for a caller that knows no completion was missed.
   */
  async wait(runId: string, waitMs: number, readFirst = true): Promise<Run> {
    const notFound = () => new AppError('not_found', `Run ${runId} not found`);
    if (!(waitMs > 0)) {
      const run = await this.read(runId);
      if (!run) throw notFound();
      return run;
    }
    return new Promise<Run>((resolve, reject) => {
      const waiter: Waiter = {
        settle: (run) => {
          if (!this.remove(runId, waiter)) return;
          clearTimeout(timer);
          if (run) return resolve(run);
          this.read(runId).then((r) => (r ? resolve(r) : reject(notFound())), reject);
        },
        check: () => {
          this.read(runId).then(
            (run) => {
              if (!run || isFinished(run)) waiter.settle(run);
            },
            // Redis away: the timeout answers (or fails) with a fresh read.
            () => undefined,
          );
        },
      };
      // Registered before the first read, so a completion published in between is not missed.
      let set = this.byRun.get(runId);
      if (!set) this.byRun.set(runId, (set = new Set()));
      set.add(waiter);
      const timer = setTimeout(() => waiter.settle(), waitMs);
      if (readFirst) waiter.check();
    });
  }

  /** A completion message: with the finished run in it, waiters answer without reading it back. */
  wake(runId: string, run?: Run): void {
    for (const w of [...(this.byRun.get(runId) ?? [])]) {
      if (run && isFinished(run)) w.settle(run);
      else w.check();
    }
  }

  /** Answers every waiter now with the run as it is (on close). */
  settleAll(): void {
    for (const set of [...this.byRun.values()]) for (const w of [...set]) w.settle();
  }

  /** False when `w` was not registered (already settled). */
  private remove(runId: string, w: Waiter): boolean {
    const set = this.byRun.get(runId);
    const had = set?.delete(w) ?? false;
    if (set?.size === 0) this.byRun.delete(runId);
    return had;
  }
}
