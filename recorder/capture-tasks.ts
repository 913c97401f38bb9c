/**
 * What costs in proportion to a stored capture's size, written once for both places it runs: a
 * worker thread of the IngestPool (ingest-worker.ts) and, without one, the API thread
 * (CaptureReader). Learning a recording again and listing its requests parse the whole capture.
 */
import { gunzipSync } from 'node:zlib';
import { isAppError, type Action, type ErrorCode, type ErrorDetail, type HARFile, type SecretBox, type Workflow } from '../core/index.js';
import { learn, type TargetSpec } from './learner/index.js';

/** A stored capture as its blob holds it: gzip of the sealed `{har, actions}` or, for recordings from before sealed captures were kept, of the redacted HAR. */
export interface StoredCapture {
  gz: Uint8Array;
  sealed: boolean;
  /** The recording's actions (unsealed captures only: a sealed one holds its own). */
  actions?: Action[];
}

export interface LearnTask extends StoredCapture {
  target: TargetSpec;
  recordingId: string;
  name?: string;
  /** Learned in place of this workflow (same id). */
  id?: string;
}

/** An AppError as it crosses a thread boundary (a thrown one arrives as a plain Error). */
export interface TaskError {
  code: ErrorCode;
  message: string;
  details?: ErrorDetail[];
}

export type LearnOutcome = { ok: true; workflow: Workflow } | { ok: false; error: TaskError };

/** One request of a recording, as a target can name it. */
export interface RecordedRequest {
  entry: number;
  method: string;
  url: string;
  status: number;
  mimeType: string;
}

/** Learns a stored capture again with another target; a refusal (AppError) is returned, not thrown. */
export function learnCapture(task: LearnTask, box: SecretBox): LearnOutcome {
  const text = gunzipSync(task.gz).toString('utf8');
  const { har, actions } = task.sealed ? (JSON.parse(box.open(text)) as { har: HARFile; actions: Action[] }) : { har: JSON.parse(text) as HARFile, actions: task.actions ?? [] };
  try {
    const workflow = learn(har, { actions, target: task.target, recordingId: task.recordingId, name: task.name, ...(task.id ? { id: task.id } : {}), sealSecret: (plain) => box.seal(plain) });
    return { ok: true, workflow };
  } catch (err) {
    if (isAppError(err)) return { ok: false, error: err.toJSON() };
    throw err;
  }
}

/** The requests of a stored (redacted) HAR, gzip-compressed as its blob holds it. */
export function listRequests(harGz: Uint8Array): RecordedRequest[] {
  const har = JSON.parse(gunzipSync(harGz).toString('utf8')) as HARFile;
  return (har.log.entries ?? []).map((e, entry) => ({
    entry,
    method: String(e.request?.method ?? ''),
    url: String(e.request?.url ?? ''),
    status: Number(e.response?.status ?? 0),
    mimeType: String(e.response?.content?.mimeType ?? ''),
  }));
}
