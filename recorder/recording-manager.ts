import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright';
import type { BrowserPool, Lease } from '../browser-pool/index.js';
import { AddressPolicy, AppError, isAppError, newId, toPublicError } from '../core/index.js';
import type { Action, HARFile, Logger, Recording, RedisStore, Registry, SecretBox, Workflow } from '../core/index.js';
import { ActionCapture } from './action-capture.js';
import { ingestHar } from './har-ingest.js';
import { learn, type TargetSpec } from './learner/index.js';
import { parseActions } from './parse-actions.js';
import { redactActions, redactHar } from './redact-har.js';
import { ingestFailure, recorderMetrics, type RecorderMetrics } from './recorder-metrics.js';
import { RecordingGuard } from './recording-guard.js';
import { RecordingLiveness } from './recording-liveness.js';

export interface RecordingManagerOptions {
  /** Where recordings lease their browser context. Required. */
  pool: Pick<BrowserPool, 'lease'>;
  /** Where recordings, workflows and redacted HARs (`blob har:<id>`) are kept. Required. */
  store: RedisStore;
  /** Parent logger; the manager logs as `module: 'recorder'`. Required. */
  logger: Logger;
  /** Metrics registry. Required. */
  registry: Registry;
  /** Seals the secret values a workflow keeps (a password to log in again). Required. */
  secretBox: SecretBox;
  /** Directory of the HAR files Playwright writes while recording (deleted once stored). Default os.tmpdir(). */
  harDir?: string;
  /** A recording with no activity (page events, scripted actions) for this long is stopped and saved. Required (config RECORDING_IDLE_TIMEOUT_MS). */
  idleTimeoutMs: number;
  /** Longest recording; then it is stopped and saved. Required (config RECORDING_MAX_DURATION_MS). */
  maxDurationMs: number;
  /** Browser recordings open at once; one more is `too_many_recordings`. Required (config RECORDING_MAX_CONCURRENT). */
  maxConcurrent: number;
  /** Largest HAR upload after decompression. Required (config HAR_LIMIT). */
  harLimitBytes: number;
  /** Timeout of one scripted action. Default 15000. */
  actionTimeoutMs?: number;
  /** An open recording whose process has not refreshed its liveness for this long is marked failed by a sweep (see startSweeper). Default 30000. */
  livenessMs?: number;
  /**
   * Addresses a recording's browser may contact (config RECORDING_ALLOW_LOCAL_TARGETS, else the
   * replays' ALLOW_LOOPBACK_TARGETS and ALLOW_PRIVATE_TARGETS). Default: public, loopback and
   * private addresses; cloud metadata and link-local are refused by every policy.
   */
  policy?: AddressPolicy;
}

export interface StartRecordingOptions {
  startUrl: string;
  headed?: boolean;
  actions?: unknown;
  name?: string;
}

export interface RecordingResult {
  recording: Recording;
  workflow: Workflow;
}

type StopReason = NonNullable<Recording['stopReason']>;

interface Session {
  rec: Recording;
  lease: Lease;
  page: Page;
  capture: ActionCapture;
  harPath: string;
  idle?: NodeJS.Timeout;
  max?: NodeJS.Timeout;
  queue: Promise<unknown>;
  /** Set once start() has run the initial actions: timers and window events count from then on. */
  ready: boolean;
  stopping?: Promise<RecordingResult>;
  done: Promise<RecordingResult>;
  settle: { resolve: (r: RecordingResult) => void; reject: (e: unknown) => void };
}

/**
 * Recording sessions (a leased context recording a HAR, plus the action log) and HAR uploads.
 * Stopping a recording, for whatever reason (API, window closed, idle, max duration, shutdown),
 * learns a workflow on the raw capture, then stores the redacted HAR, the recording (redacted
 * actions) and the workflow. Nothing happens in the constructor; close() stops and saves all.
 */
export class RecordingManager {
  private readonly o: Required<RecordingManagerOptions>;
  private readonly log: Logger;
  private readonly metrics: RecorderMetrics;
  private readonly sessions = new Map<string, Session>();
  private readonly live: RecordingLiveness;
  private readonly guard: RecordingGuard;
  private starting = 0;
  private closing = false;

  constructor(opts: RecordingManagerOptions) {
    for (const k of ['pool', 'store', 'logger', 'registry', 'secretBox'] as const) if (!opts?.[k]) throw new TypeError(`RecordingManager: ${k} is required`);
    for (const k of ['idleTimeoutMs', 'maxDurationMs', 'maxConcurrent', 'harLimitBytes'] as const) {
      if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new TypeError(`RecordingManager: ${k} must be a positive integer, got ${opts[k]}`);
    }
    if (opts.actionTimeoutMs !== undefined && !(opts.actionTimeoutMs > 0)) throw new TypeError('RecordingManager: actionTimeoutMs must be positive');
    this.o = { harDir: tmpdir(), actionTimeoutMs: 15_000, livenessMs: 30_000, ...opts, policy: opts.policy ?? new AddressPolicy({ allowLoopback: true, allowPrivate: true }) } as Required<RecordingManagerOptions>;
    this.log = opts.logger.child({ module: 'recorder' });
    this.guard = new RecordingGuard(this.o.policy, () => this.metrics.refused.inc(), this.log);
    this.live = new RecordingLiveness({ store: opts.store, logger: this.log, livenessMs: this.o.livenessMs });
    this.metrics = recorderMetrics(opts.registry);
  }

  /** Opens a browser on startUrl (and runs `actions`); the recording stays open until stopped. */
  async start(opts: StartRecordingOptions): Promise<Recording> {
    opts = opts ?? ({} as StartRecordingOptions);
    const startUrl = checkStartUrl(opts.startUrl);
    const actions = opts.actions === undefined ? [] : parseActions(opts.actions);
    if (opts.headed !== undefined && typeof opts.headed !== 'boolean') throw new AppError('invalid_request', 'headed must be a boolean', [{ path: '.headed', message: 'should be a boolean' }]);
    if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name.length > 200)) throw new AppError('invalid_request', 'name must be a string of at most 200 characters', [{ path: '.name', message: 'should be a short string' }]);
    await this.guard.check(startUrl, '.startUrl');
    if (this.closing) throw new AppError('not_ready', 'the recorder is shutting down');
    if (this.sessions.size + this.starting >= this.o.maxConcurrent) {
      throw new AppError('too_many_recordings', `at most ${this.o.maxConcurrent} recordings may be open at once; stop one first`, undefined, 30);
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
      const rec: Recording = { id, name: opts.name || `Recording of ${new URL(startUrl).host}`, status: 'recording', source: 'browser', headed, startUrl, createdAt: new Date().toISOString(), entryCount: 0, actions: [] };
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
        await this.live.open(id);
        await this.o.store.put('recording', id, this.snapshot(s));
        // Index -1: the start URL's goto comes before the caller's actions [0…].
        await this.run(s, [{ type: 'goto', url: startUrl }, ...actions], -1);
      } catch (err) {
        await this.discard(s);
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
      s.stopping = this.finish(s, reason);
      s.stopping.then(s.settle.resolve, s.settle.reject);
    }
    return s.stopping;
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
    const rec = await this.get(id);
    if (rec.status === 'recording') throw new AppError('recording_not_active', `recording ${id} is still open: its HAR is written when it stops`);
    const blob = await this.o.store.getBlob(`har:${id}`);
    if (!blob) throw new AppError('not_found', `recording ${id} has no HAR`);
    return JSON.parse(blob.toString('utf8')) as HARFile;
  }

  /** A HAR upload: validate, learn on the raw HAR, store it redacted. */
  async ingest(body: Buffer, opts: { contentEncoding?: string; name?: string; target?: TargetSpec } = {}): Promise<RecordingResult> {
    const end = this.metrics.ingestSeconds.startTimer();
    try {
      const { har, warnings } = await ingestHar(body, { contentEncoding: opts.contentEncoding, limitBytes: this.o.harLimitBytes });
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
      const result = await this.learnAndStore(rec, har, [], opts.name, 'put', opts.target);
      this.metrics.ingested.inc({ result: 'ok' });
      this.log.info('HAR ingested', { recordingId: id, workflowId: result.workflow.id, entries: rec.entryCount, warnings: warnings.length });
      return result;
    } catch (err) {
      throw ingestFailure(err, this.metrics, this.log);
    } finally {
      end();
    }
  }

  /**
   * Keeps this process's open recordings marked alive and marks those of dead processes failed
   * (now, and every third of the liveness period) until close().
   */
  startSweeper(): void {
    this.live.start(() => this.sessions.keys());
  }

  /** Marks open recordings whose process is gone as failed, once; returns their ids. */
  sweepOrphans(): Promise<string[]> {
    return this.live.sweep(new Set(this.sessions.keys()));
  }

  /** Stops every open recording, saving each. */
  async close(): Promise<void> {
    this.closing = true;
    // Recordings still starting stop themselves as soon as they are ready (see start()).
    await Promise.allSettled([...this.sessions.values()].filter((s) => s.ready).map((s) => this.stop(s.rec.id, 'shutdown')));
    await this.live.stop();
  }

  private async active(id: string, allowStopping = false): Promise<Session> {
    const s = this.sessions.get(id);
    if (s && crashed(s.lease)) throw await this.crashedError(s);
    if (s && (allowStopping || !s.stopping)) return s;
    if (s) throw new AppError('recording_not_active', `recording ${id} is stopping`);
    const rec = await this.o.store.get<Recording>('recording', id);
    if (!rec) throw new AppError('not_found', `recording ${id} not found`);
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

  private async finish(s: Session, reason: StopReason): Promise<RecordingResult> {
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
        throw new AppError('recording_failed', s.rec.error.message, undefined, undefined, { cause: err });
      }
      s.rec.creator = `${har.log.creator?.name ?? ''} ${har.log.creator?.version ?? ''}`.trim();
      s.rec.entryCount = har.log.entries?.length ?? 0;
      const result = await this.learnAndStore(s.rec, har, rawActions, s.rec.name, 'update');
      this.log.info('recording stopped', { recordingId: id, reason, actions: rawActions.length, entries: s.rec.entryCount, workflowId: result.workflow.id });
      return result;
    } finally {
      this.sessions.delete(id);
      await this.live.closed(id).catch(() => undefined);
      await rm(s.harPath, { force: true }).catch(() => undefined);
      this.metrics.stopped.inc({ reason });
      this.metrics.open.dec();
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
    await this.o.store.putBlob(`har:${id}`, JSON.stringify(redactHar(har, { actions: rawActions })));
    await this.o.store.putBlob(`har-sealed:${id}`, this.o.secretBox.seal(JSON.stringify({ har, actions: rawActions })));
    await this.o.store.update('recording', id, s.rec);
    this.log.warn('recording failed: its browser crashed', { recordingId: id, entries, actions: rawActions.length });
    throw new AppError('browser_crashed', `recording ${id} failed: ${s.rec.error.message}`);
  }

  /**
   * Learns on the raw capture (secrets still in it, the learner seals what it keeps), then stores
   * the redacted HAR, the recording and the workflow. A failed learn still stores the recording.
   */
  private async learnAndStore(rec: Recording, har: HARFile, rawActions: Action[], name: string | undefined, write: 'put' | 'update', target?: TargetSpec): Promise<RecordingResult> {
    let workflow: Workflow | undefined;
    let learnError: unknown;
    try {
      workflow = learn(har, { actions: rawActions, name, recordingId: rec.id, target, sealSecret: (plain) => this.o.secretBox.seal(plain) });
    } catch (err) {
      learnError = err;
    }
    await this.o.store.putBlob(`har:${rec.id}`, JSON.stringify(redactHar(har, { actions: rawActions })));
    // Sealed as a whole (AES-256-GCM), so that learning again with another target keeps the
    // recorded secrets as sealed defaults; never readable through the API.
    await this.o.store.putBlob(`har-sealed:${rec.id}`, this.o.secretBox.seal(JSON.stringify({ har, actions: rawActions })));
    if (workflow) {
      rec.workflowId = workflow.id;
      await this.o.store.put('workflow', workflow.id, workflow);
    } else {
      const message = isAppError(learnError) ? learnError.message : `no workflow could be learned: ${(learnError as Error)?.message ?? String(learnError)}`;
      rec.error = { code: 'learn_failed', message };
      this.log.warn('learning failed', { recordingId: rec.id, error: message });
    }
    if (write === 'put') await this.o.store.put('recording', rec.id, rec);
    else await this.o.store.update('recording', rec.id, rec);
    if (!workflow) throw new AppError('learn_failed', rec.error!.message, [{ path: '', message: rec.error!.message, recordingId: rec.id }]);
    return { recording: rec, workflow };
  }

  /**
   * Learns a recording again with a target the caller names (any recorded request, not only the
   * steps kept the first time). With `workflowId`, the result carries that id for the caller to
   * store in place of the old one; otherwise a new workflow is stored. learn_failed lists the requests it could name.
   */
  async relearn(recordingId: string, target: TargetSpec, opts: { workflowId?: string; name?: string } = {}): Promise<Workflow> {
    const rec = await this.get(recordingId);
    if (rec.status === 'recording') throw new AppError('recording_not_active', `recording ${recordingId} is still open: stop it first`);
    const sealed = await this.o.store.getBlob(`har-sealed:${recordingId}`);
    let har: HARFile;
    let actions: Action[];
    if (sealed) {
      ({ har, actions } = JSON.parse(this.o.secretBox.open(sealed.toString('utf8'))) as { har: HARFile; actions: Action[] });
    } else {
      // Stored before sealed captures were kept: the redacted HAR (its placeholders become required inputs).
      har = await this.getHar(recordingId);
      actions = rec.actions;
    }
    const workflow = learn(har, { actions, target, recordingId, name: opts.name, ...(opts.workflowId ? { id: opts.workflowId } : {}), sealSecret: (plain) => this.o.secretBox.seal(plain) });
    // A workflow learned in place of another is stored by the caller (PATCH: one update, as any edit).
    if (!opts.workflowId) {
      await this.o.store.put('workflow', workflow.id, workflow);
      rec.workflowId = workflow.id;
      delete rec.error;
      await this.o.store.update('recording', rec.id, rec);
    }
    this.log.info('recording learned again', { recordingId, workflowId: workflow.id, steps: workflow.steps.length });
    return workflow;
  }

  /** The requests a recording holds, as a target can name them (entry index, method, URL, status). */
  async requests(recordingId: string): Promise<Array<{ entry: number; method: string; url: string; status: number; mimeType: string }>> {
    const har = await this.getHar(recordingId);
    return (har.log.entries ?? []).map((e, entry) => ({
      entry,
      method: String(e.request?.method ?? ''),
      url: String(e.request?.url ?? ''),
      status: Number(e.response?.status ?? 0),
      mimeType: String(e.response?.content?.mimeType ?? ''),
    }));
  }

  /** A recording that failed to start is forgotten (lease released, nothing kept). */
  private async discard(s: Session): Promise<void> {
    clearTimeout(s.idle);
    clearTimeout(s.max);
    s.stopping = Promise.reject(new AppError('recording_not_active', 'recording failed to start'));
    s.stopping.catch(() => undefined);
    this.sessions.delete(s.rec.id);
    s.settle.reject(new AppError('recording_failed', 'the recording failed to start'));
    await s.lease.release();
    await rm(s.harPath, { force: true }).catch(() => undefined);
    await this.o.store.delete('recording', s.rec.id).catch(() => undefined);
    await this.live.closed(s.rec.id).catch(() => undefined);
    this.metrics.stopped.inc({ reason: 'error' });
    this.metrics.open.dec();
  }

  private snapshot(s: Session): Recording {
    return { ...s.rec, actions: redactActions(s.capture.actions) };
  }
}

/** The lease's browser crashed or is gone (a crash may close the pages, and start a stop, before the lease hears of it). */
function crashed(lease: Lease): boolean {
  return lease.crashed || !lease.browser.isConnected();
}

/** Whether the browser turns out to have crashed within a short while. */
async function crashedSoon(lease: Lease, ms = 2000): Promise<boolean> {
  for (const until = Date.now() + ms; !crashed(lease) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
  return crashed(lease);
}

/** Why a stored recording takes no more actions, in words that agree with its status. */
function notActive(rec: Recording): AppError {
  if (rec.status === 'failed') return new AppError('recording_not_active', `recording ${rec.id} failed: ${rec.error?.message ?? 'it was not saved'}`);
  return new AppError('recording_not_active', `recording ${rec.id} is ${rec.status === 'recording' ? 'not open in this process' : 'stopped'}`);
}

function checkStartUrl(raw: unknown): string {
  const bad = (message: string) => new AppError('invalid_request', `startUrl ${message}`, [{ path: '.startUrl', message }]);
  if (typeof raw !== 'string' || raw === '') throw bad('is required (an absolute http(s) URL)');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad('should be an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(`should be http or https, not ${u.protocol.replace(':', '')}`);
  return u.toString();
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<undefined>((r) => { t = setTimeout(() => r(undefined), ms); })]).finally(() => clearTimeout(t));
}
