import { newId, type Logger, type Recording } from '../core/index.js';
import { ingestHar } from './har-ingest.js';
import type { TargetSpec } from './learner/index.js';
import { ingestFailure, type RecorderMetrics } from './recorder-metrics.js';
import type { RecordingArchive } from './recording-archive.js';
import type { RecordingResult } from './recording-options.js';

export interface UploadOptions {
  /** The body's Content-Encoding (gzip accepted). */
  contentEncoding?: string;
  /** The recording's and the workflow's name. */
  name?: string;
  /** The request to learn as the output, when not the learner's choice. */
  target?: TargetSpec;
}

interface UploadDeps {
  archive: RecordingArchive;
  metrics: RecorderMetrics;
  log: Logger;
  /** Largest HAR after decompression. */
  harLimitBytes: number;
}

/** A HAR upload: validate, learn on the raw HAR, store it redacted. */
export async function ingestUpload(body: Buffer, opts: UploadOptions, d: UploadDeps): Promise<RecordingResult> {
  const end = d.metrics.ingestSeconds.startTimer();
  try {
    const { har, warnings } = await ingestHar(body, { contentEncoding: opts.contentEncoding, limitBytes: d.harLimitBytes });
    const id = newId('rec');
    const creator = har.log.creator ? `${har.log.creator.name} ${har.log.creator.version}`.trim() : undefined;
    const rec: Recording = {
      id,
      name: opts.name || `HAR upload${creator ? ` (${creator})` : ''}`,
      status: 'stopped',
      source: 'har',
      createdAt: new Date().toISOString(),
      stoppedAt: new Date().toISOString(),
      creator,
      entryCount: har.log.entries.length,
      actions: [],
      warnings,
    };
    const result = await d.archive.learnAndStore(rec, har, [], opts.name, 'put', opts.target);
    d.metrics.ingested.inc({ result: 'ok' });
    d.log.info('HAR ingested', { recordingId: id, workflowId: result.workflow.id, entries: rec.entryCount, warnings: warnings.length });
    return result;
  } catch (err) {
    throw ingestFailure(err, d.metrics, d.log);
  } finally {
    end();
  }
}
