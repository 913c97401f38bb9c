import { AppError, isAppError } from '../core/index.js';
import type { Action, HARFile, Logger, Recording, RedisStore, SecretBox, Workflow } from '../core/index.js';
import { learn, type TargetSpec } from './learner/index.js';
import { redactHar } from './redact-har.js';
import type { RecordingResult } from './recording-options.js';
import type { StoredCapture } from './capture-tasks.js';

export interface RecordingArchiveOptions {
  /** Where recordings, workflows and the HAR blobs are kept. Required. */
  store: RedisStore;
  /** Seals the raw capture and the secrets a workflow keeps. Required. */
  secretBox: SecretBox;
  /** The recorder's logger. Required. */
  logger: Logger;
}

/**
 * What a finished recording leaves in the store: the redacted HAR (`blob har:<id>`), the raw
 * capture sealed (`blob har-sealed:<id>`, for a later learn with another target), the recording
 * and its workflow. The RecordingManager decides when; this decides what and how.
 */
export class RecordingArchive {
  constructor(private readonly o: RecordingArchiveOptions) {}

  /**
   * Learns on the raw capture (secrets still in it, the learner seals what it keeps), then stores
   * the redacted HAR, the recording and the workflow. A failed learn still stores the recording.
   */
  async learnAndStore(rec: Recording, har: HARFile, rawActions: Action[], name: string | undefined, write: 'put' | 'update', target?: TargetSpec): Promise<RecordingResult> {
    let workflow: Workflow | undefined;
    let learnError: unknown;
    try {
      workflow = learn(har, { actions: rawActions, name, recordingId: rec.id, target, sealSecret: (plain) => this.o.secretBox.seal(plain) });
    } catch (err) {
      learnError = err;
    }
    await this.storeCapture(rec.id, har, rawActions);
    if (workflow) {
      rec.workflowId = workflow.id;
      await this.o.store.put('workflow', workflow.id, workflow);
    } else {
      const message = isAppError(learnError) ? learnError.message : `no workflow could be learned: ${(learnError as Error)?.message ?? String(learnError)}`;
      rec.error = { code: 'learn_failed', message };
      this.o.logger.warn('learning failed', { recordingId: rec.id, error: message });
    }
    if (write === 'put') await this.o.store.put('recording', rec.id, rec);
    else await this.o.store.update('recording', rec.id, rec);
    if (!workflow) throw new AppError('learn_failed', rec.error!.message, { details: [{ path: '', message: rec.error!.message, recordingId: rec.id }] });
    return { recording: rec, workflow };
  }

  /** A recording whose browser crashed: what it captured, and the recording marked failed. */
  async storeCrashed(rec: Recording, har: HARFile, rawActions: Action[]): Promise<void> {
    await this.storeCapture(rec.id, har, rawActions);
    await this.o.store.update('recording', rec.id, rec);
  }

  /** The stored (redacted) HAR of a recording. */
  async redactedHar(id: string): Promise<HARFile> {
    const blob = await this.o.store.getBlob(`har:${id}`);
    if (!blob) throw new AppError('not_found', `recording ${id} has no HAR`);
    return JSON.parse(blob.toString('utf8')) as HARFile;
  }

  /** The stored (redacted) HAR of a recording, gzip-compressed as stored. */
  async redactedHarGzip(id: string): Promise<Buffer> {
    const gz = await this.o.store.getBlobGzip(`har:${id}`);
    if (!gz) throw new AppError('not_found', `recording ${id} has no HAR`);
    return gz;
  }

  /** The raw capture to learn again from, as stored sealed (`{har, actions}`) when kept, else the redacted HAR
   * and the recording's actions (its placeholders become required inputs); decompressed and opened by whoever learns. */
  async storedCapture(rec: Recording): Promise<StoredCapture> {
    const sealed = await this.o.store.getBlobGzip(`har-sealed:${rec.id}`);
    if (sealed) return { gz: sealed, sealed: true };
    return { gz: await this.redactedHarGzip(rec.id), sealed: false, actions: rec.actions };
  }

  /** A workflow learned again becomes the recording's own. */
  async storeRelearned(rec: Recording, workflow: Workflow): Promise<void> {
    await this.o.store.put('workflow', workflow.id, workflow);
    rec.workflowId = workflow.id;
    delete rec.error;
    await this.o.store.update('recording', rec.id, rec);
  }

  private async storeCapture(id: string, har: HARFile, rawActions: Action[]): Promise<void> {
    await this.o.store.putBlob(`har:${id}`, JSON.stringify(redactHar(har, { actions: rawActions })));
    // Sealed as a whole (AES-256-GCM), so that learning again with another target keeps the
    // recorded secrets as sealed defaults; never readable through the API.
    await this.o.store.putBlob(`har-sealed:${id}`, this.o.secretBox.seal(JSON.stringify({ har, actions: rawActions })));
  }
}
