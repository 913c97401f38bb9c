import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lease } from '../browser-pool/index.js';
import { AppError, isAppError, newId, toPublicError } from '../core/index.js';
import type { Action, HARFile, Logger, Recording, Workflow } from '../core/index.js';
import { ActionCapture } from './action-capture.js';
import { ingestUpload, type UploadOptions } from './har-upload.js';
import type { TargetSpec } from './learner/index.js';
import { parseActions } from './parse-actions.js';
import { redactActions } from './redact-har.js';
import { recorderMetrics, type RecorderMetrics } from './recorder-metrics.js';
import { RecordingArchive } from './recording-archive.js';
import { CaptureReader, type CaptureThreads, type RecordedRequest } from './capture-reader.js';
import { RecordingCloser } from './recording-closer.js';
import { RecordingGuard } from './recording-guard.js';
import { RecordingLiveness } from './recording-liveness.js';
import { checkStartFlags, checkStartUrl, resolveManagerOptions, type RecordingManagerOptions, type RecordingResult, type StartRecordingOptions } from './recording-options.js';
import { liveOf, type RecordingLive } from './recording-live.js';
import { crashed, notActive, type Session, type StopReason } from './recording-session.js';

export type { RecordingManagerOptions, RecordingResult, StartRecordingOptions } from './recording-options.js';

/**
 * Recording sessions (a leased context recording a HAR, plus the action log) and HAR uploads.
 * Stopping a recording, for whatever reason (API, window closed, idle, max duration, shutdown),
 * learns a workflow on the raw capture, then stores the redacted HAR, the recording (redacted
 * actions) and the workflow. Nothing happens in the constructor; close() stops and saves all.
 * What is stored is RecordingArchive's business, how a session ends RecordingCloser's.
 */
export class RecordingManager {
  private readonly o: Required<RecordingManagerOptions>;
  private readonly log: Logger;
  private readonly metrics: RecorderMetrics;
  private readonly sessions = new Map<string, Session>();
  private readonly liveness: RecordingLiveness;
  private readonly guard: RecordingGuard;
  private readonly archive: RecordingArchive;
  private readonly captures: CaptureReader;
  private readonly closer: RecordingCloser;
  private starting = 0;
  private closing = false;

  constructor(opts: RecordingManagerOptions) {
    this.o = resolveManagerOptions(opts);
    this.log = opts.logger.child({ module: 'recorder' });
    this.archive = new RecordingArchive({ store: opts.store, secretBox: opts.secretBox, logger: this.log });
    this.captures = new CaptureReader(this.archive, opts.secretBox);
    this.guard = new RecordingGuard(this.o.policy, () => this.metrics.refused.inc(), this.log);
    this.liveness = new RecordingLiveness({ store: opts.store, logger: this.log, livenessMs: this.o.livenessMs });
    this.metrics = recorderMetrics(opts.registry);
    this.closer = new RecordingCloser({ store: opts.store, archive: this.archive, live: this.liveness, metrics: this.metrics, logger: this.log, forget: (id) => this.sessions.delete(id) });
  }

  /** Opens a browser on startUrl (and runs `actions`); the recording stays open until stopped. */
  async start(opts: StartRecordingOptions): Promise<Recording> {
    opts = opts ?? ({} as StartRecordingOptions);
    const startUrl = checkStartUrl(opts.startUrl);
    const actions = opts.actions === undefined ? [] : parseActions(opts.actions);
    checkStartFlags(opts);
    await this.guard.check(startUrl, '.startUrl');
    if (this.closing) throw new AppError('not_ready', 'the recorder is shutting down');
    if (this.sessions.size + this.starting >= this.o.maxConcurrent) {
      throw new AppError('too_many_recordings', `at most ${this.o.maxConcurrent} recordings may be open at once; stop one first`, { retryAfter: 30 });
    }
    this.starting++;
    const id = newId('rec');
    const harPath = join(this.o.harDir, `replayfarm-${id}.har`);
    const headed = opts.headed === true;
    let lease: Lease | undefined;
    let reserved = true;
    try {
      // Every connection of the recording's browser, each redirect hop included, goes through the lease's egress proxy.
      lease = await this.o.pool.lease({ headed, recordHar: { path: harPath, content: 'embed', mode: 'full' }, egress: this.guard.egress() });
      const capture = new ActionCapture({ logger: this.log.child({ recordingId: id }), onActivity: () => this.touch(id) });
      await this.guard.attach(lease.context);
      await capture.attach(lease.context);
      const page = await lease.context.newPage();
      const rec: Recording = { id, name: opts.name || `Recording of ${new URL(startUrl).host}`, status: 'recording', source: 'browser', headed, startUrl, ...(opts.owner ? { owner: opts.owner } : {}), createdAt: new Date().toISOString(), entryCount: 0, actions: [] };
      let settle!: Session['settle'];
      const done = new Promise<RecordingResult>((resolve, reject) => (settle = { resolve, reject }));
      done.catch(() => undefined); // rejections reach whoever waits; none is unhandled
      const s: Session = { rec, lease, page, capture, harPath, queue: Promise.resolve(), ready: false, done, settle };
      this.sessions.set(id, s);
      this.starting--; // counted as a session from here on
      reserved = false;
      this.watch(s);
      this.metrics.started.inc({ mode: headed ? 'headed' : 'headless' });
      this.metrics.open.inc(); // inc/dec: several managers may share a registry
      this.log.info('recording started', { recordingId: id, headed, origin: new URL(startUrl).origin });
      try {
        await this.liveness.open(id);
        await this.o.store.put('recording', id, this.snapshot(s));
        // Index -1: the start URL's goto comes before the caller's actions [0…].
        await this.run(s, [{ type: 'goto', url: startUrl }, ...actions], -1);
      } catch (err) {
        await this.closer.discard(s);
        throw err;
      }
      s.ready = true;
      s.max = setTimeout(() => void this.stopQuietly(id, 'max_duration'), this.o.maxDurationMs).unref();
      this.touch(id);
      if (page.isClosed()) void this.stopQuietly(id, 'window_closed');
      else if (this.closing) void this.stopQuietly(id, 'shutdown'); // close() came while it was starting
      return this.snapshot(s);
    } catch (err) {
      if (lease && !this.sessions.has(id)) {
        await lease.release();
        await rm(harPath, { force: true });
      }
      throw err;
    } finally {
      if (reserved) this.starting--;
    }
  }

  /** Runs scripted actions in an open recording; they land in its action log. */
  async act(id: string, actions: unknown): Promise<Recording> {
    const parsed = parseActions(actions);
    const s = await this.active(id);
    await this.run(s, parsed);
    return this.snapshot(s);
  }

  /** Stops a recording, stores HAR + actions, learns its workflow. A second call waits for the first. */
  async stop(id: string, reason: StopReason = 'user'): Promise<RecordingResult> {
    // A recording whose browser crashed is saved as failed instead: active() answers 409 then.
    return this.beginStop(await this.active(id, true), reason);
  }

  private beginStop(s: Session, reason: StopReason): Promise<RecordingResult> {
    if (!s.stopping) {
      s.stopping = this.closer.finish(s, reason);
      s.stopping.then(s.settle.resolve, s.settle.reject);
    }
    return s.stopping;
  }

  /**
   * The open recording `id` for a live view (console). 409 recording_not_active when it is not open
   * here (naming the process that holds it, if another does) or already has a viewer.
   */
  async live(id: string): Promise<RecordingLive> {
    const s = await this.active(id);
    if (!s.ready) throw new AppError('recording_not_active', `recording ${id} is still starting`);
    if (s.viewed) throw new AppError('recording_not_active', `recording ${id} already has a live viewer; close it first`);
    return liveOf(s, () => this.touch(id));
  }

  /** Resolves when the recording stops for any reason (window closed, idle, max duration, stop()). */
  async waitForStop(id: string): Promise<RecordingResult> {
    const s = this.sessions.get(id);
    if (s) return s.done;
    const rec = await this.get(id);
    if (rec.status === 'recording') throw new AppError('recording_not_active', `recording ${id} is not open in this process`);
    if (rec.error || !rec.workflowId) throw new AppError((rec.error?.code as 'learn_failed') ?? 'learn_failed', rec.error?.message ?? 'no workflow was learned');
    const workflow = await this.o.store.get<Workflow>('workflow', rec.workflowId);
    if (!workflow) throw new AppError('not_found', `workflow ${rec.workflowId} of recording ${id} no longer exists`);
    return { recording: rec, workflow };
  }

  /** The recording (open ones from memory, their actions redacted). Throws not_found. */
  async get(id: string): Promise<Recording> {
    const s = this.sessions.get(id);
    // A crashed one is answered once what it kept is saved: failed, with the error.
    if (s && crashed(s.lease)) await this.crashedError(s);
    else if (s) return this.snapshot(s);
    const rec = await this.o.store.get<Recording>('recording', id);
    if (!rec) throw new AppError('not_found', `recording ${id} not found`);
    return rec;
  }

  /** The stored (redacted) HAR of a stopped recording. */
  async getHar(id: string): Promise<HARFile> {
    return this.archive.redactedHar((await this.stopped(id)).id);
  }

  /**
   * Keeps this process's open recordings marked alive and marks those of dead processes failed
   * (now, and every third of the liveness period) until close().
   */
  startSweeper(): void {
    this.liveness.start(() => this.sessions.keys());
  }

  /** Stops every open recording, saving each. */
  async close(): Promise<void> {
    this.closing = true;
    // Recordings still starting stop themselves as soon as they are ready (see start()).
    await Promise.allSettled([...this.sessions.values()].filter((s) => s.ready).map((s) => this.stop(s.rec.id, 'shutdown')));
    await this.liveness.stop();
  }

  private async active(id: string, allowStopping = false): Promise<Session> {
    const s = this.sessions.get(id);
    if (s && crashed(s.lease)) throw await this.crashedError(s);
    if (s && (allowStopping || !s.stopping)) return s;
    if (s) throw new AppError('recording_not_active', `recording ${id} is stopping`);
    const rec = await this.o.store.get<Recording>('recording', id);
    if (!rec) throw new AppError('not_found', `recording ${id} not found`);
    const holder = rec.status === 'recording' ? await this.liveness.holderOf(id) : undefined;
    if (holder) throw new AppError('recording_not_active', `recording ${id} is open in another API process (${holder}): send this call to that process`);
    throw notActive(rec);
  }

  /** The 409 for a recording whose browser crashed, once what it captured is saved (so the answer agrees with GET). */
  private async crashedError(s: Session): Promise<AppError> {
    this.beginStop(s, 'error');
    await s.stopping!.catch(() => undefined);
    return notActive(s.rec);
  }

  /** Scripted actions of one recording run one at a time, in the order they were sent; errors name an action by its index plus `indexBase`. */
  private run(s: Session, actions: Action[], indexBase = 0): Promise<void> {
    const next = s.queue.then(async () => {
      for (const [i, a] of actions.entries()) {
        if (s.stopping) throw crashed(s.lease) ? await this.crashedError(s) : new AppError('recording_not_active', `recording ${s.rec.id} stopped`);
        if (a.type === 'goto' && a.url) await this.guard.check(a.url, `[${i + indexBase}].url`);
        this.touch(s.rec.id);
        try {
          await s.lease.guard(() => s.capture.perform(s.page, a, this.o.actionTimeoutMs));
        } catch (err) {
          // Not worth retrying: the recording is over, and what it captured is kept.
          if (s.ready && (crashed(s.lease) || (isAppError(err) && err.code === 'browser_crashed'))) throw await this.crashedError(s);
          throw err;
        }
      }
      this.touch(s.rec.id);
    });
    s.queue = next.catch(() => undefined);
    return next;
  }

  private watch(s: Session): void {
    const ctx = s.lease.context;
    // The person closed the window (all its tabs): save what was recorded.
    const onPageClose = () => {
      if (s.ready && !s.stopping && ctx.pages().length === 0) void this.stopQuietly(s.rec.id, 'window_closed');
    };
    s.page.on('close', onPageClose);
    ctx.on('page', (p) => p.on('close', onPageClose));
    // A crash while starting fails start() itself; later it stops the recording.
    s.lease.signal.addEventListener('abort', () => s.ready && void this.beginStop(s, 'error').catch((err: unknown) => this.log.warn('recording stopped with an error', { recordingId: s.rec.id, error: toPublicError(err) })), { once: true });
  }

  private touch(id: string): void {
    const s = this.sessions.get(id);
    if (!s || !s.ready || s.stopping) return;
    if (s.idle) clearTimeout(s.idle);
    s.idle = setTimeout(() => void this.stopQuietly(id, 'idle_timeout'), this.o.idleTimeoutMs).unref();
  }

  private async stopQuietly(id: string, reason: StopReason): Promise<void> {
    try {
      await this.stop(id, reason);
    } catch (err) {
      this.log.warn('recording stopped with an error', { recordingId: id, reason, error: toPublicError(err) });
    }
  }

  /** A HAR upload: validate, learn on the raw HAR, store it redacted. */
  ingest(body: Buffer, opts: UploadOptions = {}): Promise<RecordingResult> {
    return ingestUpload(body, opts, { archive: this.archive, metrics: this.metrics, log: this.log, harLimitBytes: this.o.harLimitBytes });
  }

  /**
   * Learns a recording again with a target the caller names (any recorded request, not only the steps kept the first
   * time; see CaptureReader.relearn). learn_failed lists the requests it could name.
   */
  async relearn(recordingId: string, target: TargetSpec, opts: { workflowId?: string; name?: string } = {}): Promise<Workflow> {
    const workflow = await this.captures.relearn(await this.stopped(recordingId, 'stop it first'), target, opts);
    this.log.info('recording learned again', { recordingId, workflowId: workflow.id, steps: workflow.steps.length });
    return workflow;
  }

  /** The requests a recording holds, as a target can name them (entry index, method, URL, status). */
  async requests(id: string): Promise<RecordedRequest[]> {
    return this.captures.requests((await this.stopped(id)).id);
  }

  /** The stored (redacted) HAR of a stopped recording, gzip-compressed as stored. */
  async harGzip(id: string): Promise<Buffer> {
    return this.captures.harGzip((await this.stopped(id)).id);
  }

  /** Learning again and listing requests go to these threads (an IngestPool) from now on. */
  useThreads(threads: CaptureThreads): void {
    this.captures.useThreads(threads);
  }

  private async stopped(id: string, hint = 'its HAR is written when it stops'): Promise<Recording> {
    const rec = await this.get(id);
    if (rec.status === 'recording') throw new AppError('recording_not_active', `recording ${id} is still open: ${hint}`);
    return rec;
  }

  private snapshot(s: Session): Recording {
    return { ...s.rec, actions: redactActions(s.capture.actions) };
  }
}

