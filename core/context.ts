import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request (or per-run) context carried through async calls, so every log line gets its id. */
export interface RequestContext {
  requestId?: string;
  runId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function withContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...ctx }, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
