import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { Type } from '@sinclair/typebox';
import { AppError, intOption, newId, objectOption, optionError, readOptions, SecretBox } from '../core/index.js';
import type { Logger, Recording, RedisStore, Registry, Workflow } from '../core/index.js';
import type { IngestOutcome, IngestTask, IngestWorkerData } from './ingest-worker.js';
import type { LearnOutcome, LearnTask, RecordedRequest } from './capture-tasks.js';
import type { CaptureThreads } from './capture-reader.js';
import type { TargetSpec } from './learner/index.js';
import { ingestFailure, recorderMetrics, type RecorderMetrics } from './recorder-metrics.js';
import type { RecordingResult } from './recording-manager.js';

export interface IngestPoolOptions {
  /** Where the recording, its workflow and its HAR blobs (`har:<id>`, `har-sealed:<id>`) are stored. Required. */
  store: RedisStore;
  /** Parent logger; the pool logs as `module: 'recorder'`. Required. */
  logger: Logger;
  /** Metrics registry (the same upload metrics as RecordingManager.ingest). Required. */
  registry: Registry;
  /** The SecretBox the rest of the process opens sealed values with. Required. */
  secretBox: SecretBox;
  /**
   * That SecretBox's 32-byte key (see sealKeyOf): the worker threads seal with it. Required;
   * checked against `secretBox` once, handed to the threads as workerData, never logged.
   */
  sealKey: Buffer;
  /** Largest HAR upload after decompression. Required (config HAR_LIMIT). */
  harLimitBytes: number;
  /** Worker threads that process uploads. Default 1 (config HAR_INGEST_THREADS). */
  threads?: number;
  /** Uploads allowed to wait for a thread (each holds its body); past it `rate_limited` (429). Default 8. */
  maxQueue?: number;
  /** A thread idle this long ends; the next upload starts one again. Default 60000. */
  idleTimeoutMs?: number;
  /** Longest wait in close() for uploads still being processed. Default 10000. */
  closeTimeoutMs?: number;
}

export interface IngestOptions {
  /** The upload's Content-Encoding (gzip, deflate, br or identity). */
  contentEncoding?: string;
  name?: string;
  target?: TargetSpec;
}

/** IngestPoolOptions as a schema (the interface above documents each field): bounds and defaults in one place. */
export const IngestPoolOptionsSchema = Type.Object({
  store: objectOption<RedisStore>(),
  logger: objectOption<Logger>(),
  registry: objectOption<Registry>(),
  secretBox: objectOption<SecretBox>(),
  sealKey: objectOption<Buffer>(),
  harLimitBytes: intOption(1),
  threads: intOption(1, 1),
  maxQueue: intOption(0, 8),
  idleTimeoutMs: intOption(0, 60_000),
  closeTimeoutMs: intOption(0, 10_000),
});

/** Lowers the threads' scheduling priority (Linux, when @napi-rs/nice is installed), so that the API thread wins a busy CPU. */
const NICE = 5;
/** Bytes a blob is written to Redis in at a time (see putCompressedBlob). */
const BLOB_PIECE = 4 * 1024 * 1024;

/**
 * HAR uploads processed off the event loop: a small pool of worker threads (piscina) decodes,
 * validates, learns, redacts, seals and compresses (ingest-worker.ts); this thread only moves
 * the bytes there and stores what comes back. Same results, errors and metrics as
 * RecordingManager.ingest. Threads start on the first upload; close() ends them.
 */
export class IngestPool implements CaptureThreads {
  private readonly o: Required<IngestPoolOptions>;
  private readonly log: Logger;
  private readonly metrics: RecorderMetrics;
  private readonly pool: Piscina<unknown, unknown>;
  private closing?: Promise<void>;

  constructor(opts: IngestPoolOptions) {
    this.o = readOptions<Required<IngestPoolOptions>>(IngestPoolOptionsSchema, opts, 'IngestPool');
    if (!keyMatches(opts.secretBox, opts.sealKey)) throw optionError('IngestPool', 'sealKey', 'is not the key of secretBox');
    this.log = opts.logger.child({ module: 'recorder' });
    this.metrics = recorderMetrics(opts.registry);
    const worker = workerFile();
    const workerData: IngestWorkerData = { sealKey: new Uint8Array(opts.sealKey) };
    this.pool = new Piscina<unknown, unknown>({
      filename: worker.filename,
      execArgv: worker.execArgv,
      minThreads: 0,
      maxThreads: this.o.threads,
      maxQueue: this.o.maxQueue,
      idleTimeout: this.o.idleTimeoutMs,
      closeTimeout: this.o.closeTimeoutMs,
      niceIncrement: NICE,
      workerData,
    });
    // A thread that dies is replaced by piscina; its task fails (see ingest).
    this.pool.on('error', (err: Error) => this.log.warn('HAR ingest thread failed', { error: err.message }));
  }

  /**
   * A HAR upload: validate, learn on the raw HAR, store it redacted (and sealed whole). `body` is
   * moved to a worker thread: it is empty afterwards.
   */
  async ingest(body: Buffer, opts: IngestOptions = {}): Promise<RecordingResult> {
    const end = this.metrics.ingestSeconds.startTimer();
    try {
      const id = newId('rec');
      const bytes = movable(body);
      const task: IngestTask = { body: bytes, contentEncoding: opts.contentEncoding, limitBytes: this.o.harLimitBytes, name: opts.name, target: opts.target, recordingId: id };
      const out = await this.run<IngestOutcome>(task, bytes, 'default', 'upload the HAR');
      if (!out.ok) throw new AppError(out.error.code, out.error.message, { details: out.error.details });
      const now = new Date().toISOString();
      const rec: Recording = {
        id,
        name: opts.name || `HAR upload${out.creator ? ` (${out.creator})` : ''}`,
        status: 'stopped',
        source: 'har',
        createdAt: now,
        stoppedAt: now,
        creator: out.creator,
        entryCount: out.entryCount,
        actions: [],
        warnings: out.warnings,
      };
      const workflow = await this.save(rec, out);
      this.metrics.ingested.inc({ result: 'ok' });
      this.log.info('HAR ingested', { recordingId: id, workflowId: workflow.id, entries: rec.entryCount, warnings: rec.warnings?.length ?? 0 });
      return { recording: rec, workflow };
    } catch (err) {
      throw ingestFailure(err, this.metrics, this.log);
    } finally {
      end();
    }
  }

  /** A stored capture learned again with another target, on a thread (CaptureThreads): `task.gz` is copied there, not shared. */
  async learnCapture(task: LearnTask): Promise<Workflow> {
    const gz = movable(task.gz);
    const out = await this.run<LearnOutcome>({ ...task, gz }, gz, 'learnCaptureInWorker', 'learn it again');
    if (!out.ok) throw new AppError(out.error.code, out.error.message, { details: out.error.details });
    return out.workflow;
  }

  /** The requests of a stored HAR (gzip-compressed as stored), parsed on a thread (CaptureThreads). */
  listRequests(harGz: Uint8Array): Promise<RecordedRequest[]> {
    const gz = movable(harGz);
    return this.run<RecordedRequest[]>({ harGz: gz }, gz, 'listRequestsInWorker', 'ask again');
  }

  /** Ends the threads once the uploads they are processing are done (bounded by closeTimeoutMs). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.pool.close({ force: true }).catch((err: Error) => {
      this.log.warn('HAR ingest threads did not finish in time; ended', { error: err.message });
      return this.pool.destroy();
    });
    return this.closing;
  }

  /** `task` on a thread (the worker module's export `name`), `bytes` moved there; `again` says what to do later when the pool is full or closing. */
  private async run<R>(task: unknown, bytes: Uint8Array, name: string, again: string): Promise<R> {
    if (this.closing) throw new AppError('not_ready', `the server is shutting down: ${again} later`, { retryAfter: 5 });
    try {
      return (await this.pool.run(task, { name, transferList: [bytes.buffer as ArrayBuffer] })) as R;
    } catch (err) {
      const message = (err as Error)?.message;
      if (message === 'Task queue is at limit') throw new AppError('rate_limited', `${this.o.maxQueue} HAR uploads and re-learns are waiting already: try again shortly`, { retryAfter: 5 });
      if (this.closing) throw new AppError('not_ready', `the server is shutting down: ${again} later`, { retryAfter: 5 });
      throw err;
    }
  }

  /**
   * Stores what the worker made, as RecordingManager does: both blobs, the workflow, the recording
   * (with the error when nothing was learned, then learn_failed).
   */
  private async save(rec: Recording, out: Extract<IngestOutcome, { ok: true }>): Promise<Workflow> {
    await this.putCompressedBlob(`har:${rec.id}`, out.harGz);
    await this.putCompressedBlob(`har-sealed:${rec.id}`, out.sealedGz);
    const s = this.o.store;
    if (out.workflow) {
      rec.workflowId = out.workflow.id;
      await s.put('workflow', out.workflow.id, out.workflow);
    } else {
      rec.error = { code: 'learn_failed', message: out.learnError ?? 'no workflow could be learned' };
      this.log.warn('learning failed', { recordingId: rec.id, error: rec.error.message });
    }
    await s.put('recording', rec.id, rec);
    if (!out.workflow) throw new AppError('learn_failed', rec.error!.message, { details: [{ path: '', message: rec.error!.message, recordingId: rec.id }] });
    return out.workflow;
  }

  /**
   * The bytes RedisStore.putBlob would write (the blob gzip-compressed, under `blob:<name>`), but
   * compressed by the worker: gzip of 45 MB takes seconds, which putBlob would spend on this thread.
   * Written in pieces (SET, then APPEND), so that no single command copies tens of MB on this
   * thread; nothing reads the blob before the recording that names it is stored.
   */
  private async putCompressedBlob(name: string, gz: Uint8Array): Promise<void> {
    const s = this.o.store;
    const key = s.key('blob', name);
    const bytes = Buffer.from(gz.buffer, gz.byteOffset, gz.byteLength);
    try {
      await s.call((r) => r.set(key, bytes.subarray(0, BLOB_PIECE)));
      for (let at = BLOB_PIECE; at < bytes.length; at += BLOB_PIECE) await s.call((r) => r.append(key, bytes.subarray(at, at + BLOB_PIECE)));
    } catch (err) {
      throw new AppError('redis_unavailable', 'Redis is not reachable', { retryAfter: 5, cause: err });
    }
  }
}

/**
 * The 32-byte key of the process's SecretBox, for the ingest threads: SECRET_KEY when configured,
 * else the one RedisStore.secretBox generated and keeps in Redis. Checked against `box`: a key
 * that would seal what `box` cannot open is refused at start-up, not found out on a relearn.
 */
export async function sealKeyOf(store: RedisStore, configured: string | undefined, box: SecretBox): Promise<Buffer> {
  const raw = configured || (await store.call((r) => r.get(store.key('secret-key'))));
  const key = raw ? (/^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64')) : undefined;
  if (!key || !keyMatches(box, key)) throw new Error('the HAR ingest threads cannot get the secret key: set SECRET_KEY');
  return key;
}

function keyMatches(box: SecretBox, key: Buffer): boolean {
  try {
    return key.length === 32 && box.open(new SecretBox(key).seal('probe')) === 'probe';
  } catch {
    return false;
  }
}

/** The body as a view that owns its whole ArrayBuffer (copied only when it shares one, e.g. a small pooled Buffer). */
function movable(body: Uint8Array): Uint8Array {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer) return body;
  return new Uint8Array(body);
}

/**
 * The worker module next to this one: ingest-worker.js in the build; ingest-worker.ts when run
 * through tsx (tests), whose threads then need tsx's loader as well.
 */
function workerFile(): { filename: string; execArgv?: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  const filename = fileURLToPath(new URL(`./ingest-worker.${ts ? 'ts' : 'js'}`, import.meta.url));
  if (!ts) return { filename };
  // Resolved from here, so that it does not matter where the process was started.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { filename, execArgv: ['--import', tsx] };
}
