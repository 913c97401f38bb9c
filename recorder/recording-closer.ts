import { readFile, rm } from 'node:fs/promises';
import { AppError, type HARFile, type Logger, type RedisStore } from '../core/index.js';
import { redactActions } from './redact-har.js';
import type { RecorderMetrics } from './recorder-metrics.js';
import type { RecordingArchive } from './recording-archive.js';
import type { RecordingLiveness } from './recording-liveness.js';
import type { RecordingResult } from './recording-options.js';
import { crashed, crashedSoon, withTimeout, type Session, type StopReason } from './recording-session.js';

export interface RecordingCloserOptions {
  /** Where the recording is updated (or deleted, when it never started). Required. */
  store: RedisStore;
  /** Stores what a recording captured. Required. */
  archive: RecordingArchive;
  /** Told when a recording is closed. Required. */
  live: RecordingLiveness;
  /** The recorder's metrics. Required. */
  metrics: RecorderMetrics;
  /** The recorder's logger. Required. */
  logger: Logger;
  /** Drops the session from the manager's open recordings. Required. */
  forget: (id: string) => void;
}

/**
 * The end of a recording session, however it ends: saved and learned, failed because its browser
 * crashed (what was captured is kept), or discarded because it never started. Either way its
 * browser lease, HAR file, liveness mark and metrics are released exactly once.
 */
export class RecordingCloser {
  constructor(private readonly o: RecordingCloserOptions) {}

  /** Saves a recording that stopped (or fails it, keeping what it captured) and frees its browser. */
  async finish(s: Session, reason: StopReason): Promise<RecordingResult> {
    const id = s.rec.id;
    clearTimeout(s.idle);
    clearTimeout(s.max);
    try {
      if (crashed(s.lease)) return await this.saveCrashed(s);
      if (!s.page.isClosed() && !s.lease.crashed) await withTimeout(s.capture.flush(s.page), 5000);
      await s.lease.release();
      s.rec.status = 'stopped';
      s.rec.stoppedAt = new Date().toISOString();
      s.rec.stopReason = reason;
      const rawActions = [...s.capture.actions];
      s.rec.actions = redactActions(rawActions);
      let har: HARFile;
      try {
        har = JSON.parse(await readFile(s.harPath, 'utf8')) as HARFile;
      } catch (err) {
        // The browser crashed (its pages close a moment before the disconnect is seen): keep what was captured as it went.
        if (await crashedSoon(s.lease)) return await this.saveCrashed(s);
        s.rec.status = 'failed';
        s.rec.error = { code: 'recording_failed', message: 'the browser did not write the HAR (it crashed or was killed)' };
        await this.o.store.update('recording', id, s.rec);
        throw new AppError('recording_failed', s.rec.error.message, { cause: err });
      }
      s.rec.creator = `${har.log.creator?.name ?? ''} ${har.log.creator?.version ?? ''}`.trim();
      s.rec.entryCount = har.log.entries?.length ?? 0;
      const result = await this.o.archive.learnAndStore(s.rec, har, rawActions, s.rec.name, 'update');
      this.o.logger.info('recording stopped', { recordingId: id, reason, actions: rawActions.length, entries: s.rec.entryCount, workflowId: result.workflow.id });
      return result;
    } finally {
      this.o.forget(id);
      await this.o.live.closed(id).catch(() => undefined);
      await rm(s.harPath, { force: true }).catch(() => undefined);
      this.o.metrics.stopped.inc({ reason });
      this.o.metrics.open.dec();
    }
  }

  /**
   * The browser crashed: Playwright never writes its HAR then, so the traffic captured as it went
   * and the action log are stored (redacted, and sealed for a later learn with a target) and the
   * recording is marked failed, saying what was kept. Rejects with that error.
   */
  private async saveCrashed(s: Session): Promise<never> {
    const id = s.rec.id;
    await s.lease.release();
    const har = await s.capture.traffic.har();
    const rawActions = [...s.capture.actions];
    const entries = har.log.entries.length;
    s.rec.status = 'failed';
    s.rec.stoppedAt = new Date().toISOString();
    s.rec.stopReason = 'error';
    s.rec.actions = redactActions(rawActions);
    s.rec.entryCount = entries;
    s.rec.creator = `${har.log.creator.name} ${har.log.creator.version}`;
    s.rec.error = {
      code: 'browser_crashed',
      message: `its browser crashed or was killed; kept the ${entries} request${entries === 1 ? '' : 's'} and ${rawActions.length} action${rawActions.length === 1 ? '' : 's'} captured before the crash (GET /v1/recordings/${id}/har), no workflow was learned: record again`,
    };
    await this.o.archive.storeCrashed(s.rec, har, rawActions);
    this.o.logger.warn('recording failed: its browser crashed', { recordingId: id, entries, actions: rawActions.length });
    throw new AppError('browser_crashed', `recording ${id} failed: ${s.rec.error.message}`);
  }

  /** A recording that failed to start is forgotten (lease released, nothing kept). */
  async discard(s: Session): Promise<void> {
    clearTimeout(s.idle);
    clearTimeout(s.max);
    s.stopping = Promise.reject(new AppError('recording_not_active', 'recording failed to start'));
    s.stopping.catch(() => undefined);
    this.o.forget(s.rec.id);
    s.settle.reject(new AppError('recording_failed', 'the recording failed to start'));
    await s.lease.release();
    await rm(s.harPath, { force: true }).catch(() => undefined);
    await this.o.store.delete('recording', s.rec.id).catch(() => undefined);
    await this.o.live.closed(s.rec.id).catch(() => undefined);
    this.o.metrics.stopped.inc({ reason: 'error' });
    this.o.metrics.open.dec();
  }
}
