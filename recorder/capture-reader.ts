import { AppError, type Recording, type SecretBox, type Workflow } from '../core/index.js';
import { learnCapture, listRequests, type LearnOutcome, type LearnTask, type RecordedRequest } from './capture-tasks.js';
import type { TargetSpec } from './learner/index.js';
import type { RecordingArchive } from './recording-archive.js';

export type { RecordedRequest };

/** Where the work in proportion to a capture's size goes: an IngestPool's threads. */
export interface CaptureThreads {
  learnCapture(task: LearnTask): Promise<Workflow>;
  listRequests(harGz: Uint8Array): Promise<RecordedRequest[]>;
}

/**
 * Reads stored captures for the API: learns a recording again, lists its requests, hands out its
 * HAR as stored. The parsing (tens of MB for a big HAR) runs on the IngestPool's threads once
 * they are given (useThreads), so other API calls keep answering; until then, on this thread.
 */
export class CaptureReader {
  private threads?: CaptureThreads;

  constructor(
    private readonly archive: RecordingArchive,
    private readonly box: SecretBox,
  ) {}

  useThreads(threads: CaptureThreads): void {
    this.threads = threads;
  }

  /**
   * `rec` (stopped) learned again with `target`. With `workflowId`, the result carries that id for
   * the caller to store in place of the old one (PATCH: one update, as any edit); otherwise it is
   * stored as a new workflow, the recording's own.
   */
  async relearn(rec: Recording, target: TargetSpec, opts: { workflowId?: string; name?: string }): Promise<Workflow> {
    const capture = await this.archive.storedCapture(rec);
    const task: LearnTask = { ...capture, target, recordingId: rec.id, name: opts.name, ...(opts.workflowId ? { id: opts.workflowId } : {}) };
    const workflow = this.threads ? await this.threads.learnCapture(task) : here(learnCapture(task, this.box));
    if (!opts.workflowId) await this.archive.storeRelearned(rec, workflow);
    return workflow;
  }

  async requests(recordingId: string): Promise<RecordedRequest[]> {
    const gz = await this.archive.redactedHarGzip(recordingId);
    return this.threads ? this.threads.listRequests(gz) : listRequests(gz);
  }

  /** The redacted HAR, gzip-compressed, as stored: sent as it is to a client that accepts gzip. */
  harGzip(recordingId: string): Promise<Buffer> {
    return this.archive.redactedHarGzip(recordingId);
  }
}

function here(out: LearnOutcome): Workflow {
  if (!out.ok) throw new AppError(out.error.code, out.error.message, { details: out.error.details });
  return out.workflow;
}
