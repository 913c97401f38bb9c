import { currentContext, newId, withContext, type Logger } from '../core/index.js';

/**
 * The log of one run. Its lines carry the run id as a field, so the HTTP path needs no async
 * context: on Node 20, entering an AsyncLocalStorage turns on promise hooks for every promise the
 * run (and undici under it) creates, which costs more than the rest of a warm run's bookkeeping.
 * The id is made on first use when the caller gave none. Browser work, where the pool and
 * Playwright log too, runs inside the context (inContext): those paths take seconds anyway.
 */
export class RunLog {
  private id?: string;

  constructor(
    private readonly log: Logger,
    runId?: string,
  ) {
    this.id = runId;
  }

  get runId(): string {
    return (this.id ??= currentContext()?.runId ?? newId('run'));
  }

  info(message: string, meta: Record<string, unknown>): void {
    this.log.info(message, { runId: this.runId, ...meta });
  }

  warn(message: string, meta: Record<string, unknown>): void {
    this.log.warn(message, { runId: this.runId, ...meta });
  }

  error(message: string, meta: Record<string, unknown>): void {
    this.log.error(message, { runId: this.runId, ...meta });
  }

  /** Runs fn in the run's async context (already entered by a queue worker: then as is). */
  inContext<T>(fn: () => T): T {
    return currentContext()?.runId === this.runId ? fn() : withContext({ runId: this.runId }, fn);
  }
}
