/**
 * The part of a HAR upload that costs in proportion to its size, run in a worker thread of an
 * IngestPool: decompress, JSON.parse, normalise, validate (har-validator), learn, redact, seal,
 * and compress both blobs for storage. The API thread only reads the bytes and stores what comes
 * back, so /healthz and runs keep answering while a 45 MB HAR is processed.
 *
 * Failures the caller should see are returned as `{ok: false, error}` (an AppError's code,
 * message and details survive a thread boundary that way; a thrown AppError would arrive as a
 * plain Error). Anything else is thrown and the pool reports it as an unreadable HAR.
 */
import { workerData } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { isAppError, SecretBox, type ErrorCode, type ErrorDetail, type HARFile, type Workflow } from '../core/index.js';
import { ingestHar } from './har-ingest.js';
import { learn, type TargetSpec } from './learner/index.js';
import { redactHar } from './redact-har.js';
import { learnCapture, listRequests, type LearnOutcome, type LearnTask, type RecordedRequest } from './capture-tasks.js';

/** What the pool hands every worker once (workerData): never logged, never sent back. */
export interface IngestWorkerData {
  /** The SecretBox key (32 bytes) that seals secret defaults and the raw capture. */
  sealKey: Uint8Array;
}

export interface IngestTask {
  /** The upload's bytes as received, moved (not copied) to the worker. */
  body: Uint8Array;
  contentEncoding?: string;
  limitBytes: number;
  name?: string;
  target?: TargetSpec;
  /** The id the recording will be stored under (the workflow names it). */
  recordingId: string;
}

export type IngestOutcome =
  | {
      ok: true;
      creator?: string;
      entryCount: number;
      warnings: string[];
      /** Absent when nothing could be learned: `learnError` then says why (the recording is stored anyway). */
      workflow?: Workflow;
      learnError?: string;
      /** The redacted HAR as JSON, gzip-compressed: the bytes of blob `har:<id>`. */
      harGz: Uint8Array;
      /** `{har, actions}` sealed whole, gzip-compressed: the bytes of blob `har-sealed:<id>`. */
      sealedGz: Uint8Array;
    }
  | { ok: false; error: { code: ErrorCode; message: string; details?: ErrorDetail[] } };

const data = workerData as IngestWorkerData | undefined;
const box = data?.sealKey ? new SecretBox(Buffer.from(data.sealKey)) : undefined;

export default async function ingestInWorker(task: IngestTask): Promise<IngestOutcome> {
  if (!box) throw new Error('ingest worker started without its seal key');
  const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
  let har: HARFile;
  let warnings: string[];
  try {
    ({ har, warnings } = await ingestHar(body, { contentEncoding: task.contentEncoding, limitBytes: task.limitBytes }));
  } catch (err) {
    if (isAppError(err)) return { ok: false, error: err.toJSON() };
    throw err;
  }
  const creator = har.log.creator ? `${har.log.creator.name} ${har.log.creator.version}`.trim() : undefined;
  // Learned on the raw capture (secrets still in it): the learner seals what it keeps.
  let workflow: Workflow | undefined;
  let learnError: string | undefined;
  try {
    workflow = learn(har, { actions: [], name: task.name, recordingId: task.recordingId, target: task.target, sealSecret: (plain) => box.seal(plain) });
  } catch (err) {
    learnError = isAppError(err) ? err.message : `no workflow could be learned: ${(err as Error)?.message ?? String(err)}`;
  }
  const harGz = ownBytes(gzipSync(JSON.stringify(redactHar(har, { actions: [] }))));
  // Sealed as a whole so that learning again with another target keeps the recorded secrets.
  const sealedGz = ownBytes(gzipSync(box.seal(JSON.stringify({ har, actions: [] }))));
  const outcome: IngestOutcome = { ok: true, creator, entryCount: har.log.entries.length, warnings, workflow, learnError, harGz, sealedGz };
  return move({ [transferableSymbol]: [harGz.buffer, sealedGz.buffer], [valueSymbol]: outcome } as never) as unknown as IngestOutcome;
}

/** A recording learned again (IngestPool.learnCapture): see capture-tasks.ts. */
export function learnCaptureInWorker(task: LearnTask): LearnOutcome {
  if (!box) throw new Error('ingest worker started without its seal key');
  return learnCapture(task, box);
}

/** A recording's requests (IngestPool.listRequests): see capture-tasks.ts. */
export function listRequestsInWorker(task: { harGz: Uint8Array }): RecordedRequest[] {
  return listRequests(task.harGz);
}

/** A view that owns its whole ArrayBuffer, safe to transfer (a small Buffer may sit in Node's shared pool). */
function ownBytes(b: Buffer): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b);
}
