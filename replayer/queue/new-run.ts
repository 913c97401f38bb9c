import { newId, type Run } from '../../core/index.js';
import type { RunJobData } from './run-ledger.js';
import type { EnqueueRequest, ResolvedQueueOptions } from './run-queue-options.js';

/** The queued Run record (public inputs only) and the secret inputs, kept apart. */
export function newRun(req: EnqueueRequest, now: number): { run: Run; secrets?: Record<string, unknown> } {
  const secretNames = new Set(req.secretInputs ?? []);
  const publicInputs: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(req.inputs ?? {})) (secretNames.has(k) ? secrets : publicInputs)[k] = v;
  const requestedMode = req.mode ?? 'auto';
  const run: Run = {
    id: newId('run'),
    workflowId: req.workflowId,
    status: 'queued',
    mode: requestedMode === 'browser' ? 'browser' : 'http',
    requestedMode,
    session: req.session ?? 'default',
    ...(req.inputs ? { inputs: publicInputs } : {}),
    steps: [],
    createdAt: new Date(now).toISOString(),
    attempts: 0,
    ...(req.webhookUrl ? { webhook: { url: req.webhookUrl } } : {}),
  };
  return { run, secrets: Object.keys(secrets).length > 0 ? secrets : undefined };
}

/**
 * The bull job of a run as bull 4's queue.add would store it (enqueue.lua writes it with the run,
 * in the same round trip): its data, and its options with the defaults bull's Job adds (delay,
 * timestamp, a normalised backoff). `sealed`: the secret inputs, sealed (absent when none was given:
 * most runs use the stored, already sealed, defaults).
 */
export function jobOf(req: EnqueueRequest, run: Run, sealed: RunJobData['secrets'] | undefined, o: ResolvedQueueOptions, now: number): { data: string; opts: string } {
  const data: RunJobData = { runId: run.id, workflowId: run.workflowId, run };
  if (req.workflowVersion) data.workflowVersion = req.workflowVersion;
  if (sealed !== undefined) data.secrets = sealed;
  const opts = {
    jobId: run.id,
    attempts: o.attempts,
    backoff: { type: 'exponential', delay: o.backoffMs },
    removeOnComplete: o.keepCompletedJobs,
    removeOnFail: o.keepFailedJobs,
    delay: 0,
    timestamp: now,
  };
  return { data: JSON.stringify(data), opts: JSON.stringify(opts) };
}
