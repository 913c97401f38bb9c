import { AppError, type Run, type RunMode, type Workflow } from '../core/index.js';
import { WorkflowChangedError, type RunQueue } from './queue/run-queue.js';
import { validateInputs } from './run-inputs.js';
import type { WorkflowCache } from './workflow-cache.js';

export interface RunSubmitterOptions {
  /** Where runs are queued. Required. */
  queue: RunQueue;
  /** Parsed workflows, shared with the process's RunExecutor. Required. */
  workflows: WorkflowCache;
}

/** The workflow a run is asked for, as found: a cached copy (not read) or the stored one. */
export interface RunTarget {
  readonly workflowId: string;
  wf: Workflow;
  version: string;
  /** A cached copy: the enqueue checks that it is still the stored version. */
  cached: boolean;
}

/** What the caller asks for; null is taken as absent (JSON bodies may say null). */
export interface SubmitRequest {
  inputs?: Record<string, unknown> | null;
  /** Default auto. */
  mode?: RunMode | null;
  /** Default 'default'. */
  session?: string | null;
  idempotencyKey?: string;
  webhookUrl?: string | null;
}

/**
 * The API side of a run: finds the workflow (the process's cached copy without a read), checks the
 * inputs against it and queues the run, tied to the version checked. A cached copy that turns out
 * stale (the enqueue's own check) or that refused the inputs is read again and the run submitted
 * once more against the stored workflow.
 */
export class RunSubmitter {
  private readonly queue: RunQueue;
  private readonly workflows: WorkflowCache;

  constructor(opts: RunSubmitterOptions) {
    if (!opts?.queue || !opts.workflows) throw new TypeError('RunSubmitter: queue and workflows are required');
    this.queue = opts.queue;
    this.workflows = opts.workflows;
  }

  /** The workflow to run; `not_found` when there is none. */
  async target(workflowId: string): Promise<RunTarget> {
    const hit = this.workflows.cached(workflowId);
    if (hit) return { workflowId, ...hit, cached: true };
    return this.read(workflowId);
  }

  /** Checks the inputs and queues the run (see the class). */
  async submit(target: RunTarget, req: SubmitRequest): Promise<Run> {
    try {
      return await this.enqueue(target, req);
    } catch (err) {
      // Inputs refused by a cached copy are checked again against the stored workflow: it may have changed.
      const stale = target.cached && (err instanceof WorkflowChangedError || (err instanceof AppError && err.code === 'invalid_input'));
      if (!stale) throw err;
      return this.enqueue(await this.read(target.workflowId), req);
    }
  }

  private async enqueue(target: RunTarget, req: SubmitRequest): Promise<Run> {
    const { wf } = target;
    const { run } = await this.queue.enqueue({
      workflowId: wf.id,
      inputs: validateInputs(wf, req.inputs ?? {}),
      secretInputs: wf.inputs.filter((i) => i.secret).map((i) => i.name),
      mode: req.mode ?? 'auto',
      session: req.session ?? 'default',
      idempotencyKey: req.idempotencyKey,
      webhookUrl: req.webhookUrl ?? undefined,
      workflowVersion: target.version,
    });
    return run;
  }

  private async read(workflowId: string): Promise<RunTarget> {
    const found = await this.workflows.load(workflowId);
    if (!found) throw new AppError('not_found', `No workflow with id ${workflowId}`);
    return { workflowId, ...found, cached: false };
  }
}
