import { newId, versionOf, type Run, type Workflow } from '../core/index.js';
import type { RunResult } from '../replayer/index.js';
import type { Replayfarm } from './replayfarm.js';

export interface CliRunRequest {
  inputs: Record<string, unknown>;
  mode: Run['requestedMode'];
  session: string;
  createdAt: Date;
  /** Who executed it, like a queue worker's host:pid (`cli:host:pid`). */
  worker: string;
}

/**
 * `replayfarm run` executes in its own process, not through the queue (no worker need be running),
 * but its run belongs in the workflow's history like an API run: stored under the same index,
 * secret inputs left out, the history trimmed to RUN_HISTORY_LIMIT.
 */
export async function storeCliRun(rf: Replayfarm, wf: Workflow, req: CliRunRequest, result: RunResult): Promise<Run> {
  const secret = new Set(wf.inputs.filter((i) => i.secret).map((i) => i.name));
  const inputs = Object.fromEntries(Object.entries(req.inputs).filter(([k]) => !secret.has(k)));
  const finishedAt = new Date();
  const run: Run = {
    id: newId('run'),
    workflowId: wf.id,
    version: versionOf(wf),
    requestedMode: req.mode,
    session: req.session,
    inputs,
    ...result,
    status: result.status === 'succeeded' ? 'succeeded' : 'failed',
    createdAt: req.createdAt.toISOString(),
    startedAt: req.createdAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: result.durationMs ?? finishedAt.getTime() - req.createdAt.getTime(),
    worker: req.worker,
    attempts: 1,
  };
  const index = rf.queue.ledger.indexName(wf.id);
  await rf.store.put('run', run.id, run, { indexes: [index], score: req.createdAt.getTime() });
  await rf.store.trimIndex('run', index, rf.config.runHistoryLimit);
  // followers of GET /v1/runs/events (the console's history) see it as they see a worker's runs
  await rf.store.call((r) => r.publish(rf.queue.ledger.eventsChannel, JSON.stringify(run)));
  return run;
}
