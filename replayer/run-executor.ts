import { versionOf, type Run } from '../core/index.js';
import type { RunJobContext } from './queue/index.js';
import type { Replayer } from './replayer.js';
import type { WorkflowCache } from './workflow-cache.js';

export interface RunExecutorOptions {
  /** Replays the workflows. Required. */
  replayer: Replayer;
  /** Parsed workflows, shared with the process's RunSubmitter (the version it checked is reused without a read). Required. */
  workflows: WorkflowCache;
}

/**
 * What a worker does with a run (RunWorkerOptions.execute): load its workflow and replay it. The
 * version the API checked the inputs against is reused from the cache without a read; a workflow
 * changed since is read again; a deleted one fails the run.
 */
export class RunExecutor {
  private readonly replayer: Replayer;
  private readonly workflows: WorkflowCache;

  constructor(opts: RunExecutorOptions) {
    if (!opts?.replayer || !opts.workflows) throw new TypeError('RunExecutor: replayer and workflows are required');
    this.replayer = opts.replayer;
    this.workflows = opts.workflows;
  }

  /** Bound, so that it can be handed to RunWorker as it is. */
  readonly execute = async (run: Run, job: RunJobContext): Promise<Partial<Run>> => {
    const wf = await this.workflows.get(run.workflowId, job.workflowVersion);
    if (!wf) return { status: 'failed', error: { code: 'not_found', message: `Workflow ${run.workflowId} was deleted` }, steps: [] };
    const result = await this.replayer.run(wf, { inputs: job.inputs, mode: run.requestedMode, session: run.session, runId: run.id, attempt: job.attempt, signal: job.signal });
    return { ...result, version: versionOf(wf) };
  };
}
