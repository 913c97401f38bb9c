import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createHash, timingSafeEqual } from 'node:crypto';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { LiveInputSchema, LiveView, type LiveInput } from '../browser-pool/index.js';
import { createAjv, isAppError, toPublicError, type Logger } from '../core/index.js';
import type { RecordingLive, RecordingManager } from '../recorder/index.js';
import { SESSION_COOKIE, cookieValue, keyId, type ConsoleSessions } from './console-session.js';
import { LiveFeed } from './live-feed.js';

export interface LiveSocketsOptions {
  recordings: RecordingManager;
  sessions: ConsoleSessions;
  apiKeys: string[];
  logger: Logger;
  /** Input events a viewer may send per second (a burst of twice as many is let through). Default 100. */
  inputPerSecond?: number;
}

const PATH = /^\/v1\/recordings\/([^/?#]+)\/live(?:\?.*)?$/;
const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * WebSocket /v1/recordings/:id/live: the console's live view of a recording held by this process.
 * The handshake is authenticated like the API (the console's cookie, or a Bearer key for other
 * clients; never a key in the URL) and refused from another origin; only the key that started the
 * recording may view it, one viewer at a time. Frames go out as binary JPEG messages; the action
 * log, captured requests and state as JSON (live-feed.ts); the viewer's input comes back as JSON.
 */
export class LiveSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly check = createAjv().compile(LiveInputSchema);
  private readonly digests: Buffer[];

  constructor(private readonly o: LiveSocketsOptions) {
    this.digests = o.apiKeys.map((k) => createHash('sha256').update(k).digest());
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const m = PATH.exec(req.url ?? '');
      if (!m) return refuse(socket, 404, 'not_found', 'No WebSocket here');
      const origin = req.headers.origin;
      if (origin !== undefined && hostOf(origin) !== req.headers.host) return refuse(socket, 403, 'forbidden', 'The live view answers pages of this server only (Origin differs)');
      const who = this.caller(req);
      if (who === null) return refuse(socket, 401, 'unauthorized', 'Sign in to the console (or send Authorization: Bearer <key>)');
      this.wss.handleUpgrade(req, socket, head, (ws) => void this.serve(ws, decodeURIComponent(m[1]!), who));
    });
  }

  /** Ends every live view (the recordings go on). */
  close(): void {
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    this.wss.close();
  }

  /** The caller's key id; undefined when no key is configured; null when refused. */
  private caller(req: IncomingMessage): string | undefined | null {
    if (this.digests.length === 0) return undefined;
    const auth = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? '').trim());
    if (auth) {
      const given = createHash('sha256').update(auth[1]!).digest();
      let ok = false;
      for (const d of this.digests) ok = timingSafeEqual(d, given) || ok;
      return ok ? keyId(auth[1]!) : null;
    }
    return this.o.sessions.keyOf(cookieValue(req.headers.cookie, SESSION_COOKIE)) ?? null;
  }

  private async serve(ws: WebSocket, id: string, who: string | undefined): Promise<void> {
    // what the viewer sends before the view is ready is kept and done in order once it is
    const early: Array<[RawData, boolean]> = [];
    const keep = (data: RawData, binary: boolean) => void early.push([data, binary]);
    ws.on('message', keep);
    let live: RecordingLive;
    try {
      live = await this.o.recordings.live(id);
    } catch (err) {
      return fail(ws, err);
    }
    if (ws.readyState !== ws.OPEN) return live.release(); // the viewer left meanwhile
    if (live.owner !== undefined && live.owner !== who) {
      live.release();
      return fail(ws, { code: 'forbidden', message: 'Only the API key that started this recording may view it' });
    }
    const log = this.o.logger.child({ module: 'live-view', recordingId: id });
    const feed = new LiveFeed(ws, live);
    const bucket = new TokenBucket(this.o.inputPerSecond ?? 100);
    let view: LiveView | undefined;
    // one at a time: the follow timer and the first attach may not both open a view
    let attaching: Promise<void> = Promise.resolve();
    const attach = () =>
      (attaching = attaching.then(async () => {
        const page = live.page();
        if (!page || page === view?.page || ws.readyState !== ws.OPEN) return;
        await view?.close();
        view = await LiveView.open(page, { onFrame: (f) => feed.frame(f) });
        feed.viewport(await view.size());
      }));
    const follow = setInterval(() => {
      feed.progress();
      attach().catch((err: Error) => log.debug('live view could not follow the page', { error: err.message }));
    }, 200);
    const end = () => {
      clearInterval(follow);
      void attaching.then(() => view?.close());
      live.release();
    };
    ws.on('close', end);
    ws.on('error', () => ws.terminate());
    live.stopped.then(
      (r) => feed.stopped(r.recording.id, r.workflow.id),
      (err: unknown) => fail(ws, err),
    );
    const ready = (async () => {
      feed.hello();
      await attach();
    })();
    let inputs: Promise<unknown> = ready.catch((err: unknown) => fail(ws, err));
    const handle = (data: RawData, binary: boolean) => {
      const msg = binary ? undefined : parse(data.toString());
      if (msg?.type === 'mark') return feed.mark(msg);
      if (!msg || !this.check(msg)) return feed.error('invalid_request', 'not a live-view message');
      const ev = msg as LiveInput;
      if (!bucket.take()) return ev.type === 'mouse' && ev.action === 'move' ? undefined : feed.error('rate_limited', 'too many input events; some were dropped');
      live.touch();
      inputs = inputs
        .then(() => view?.input(ev))
        .then(() => (ev.type === 'viewport' && view ? view.size().then((s) => feed.viewport(s)) : undefined))
        .catch((err: Error) => log.debug('live input failed', { type: ev.type, error: err.message }));
    };
    ws.off('message', keep);
    ws.on('message', handle);
    for (const [data, binary] of early.splice(0)) handle(data, binary);
    await ready.catch(() => undefined);
  }
}

/** Input allowance: `perSecond` a second, bursts up to twice that. */
class TokenBucket {
  private tokens: number;
  private at = Date.now();
  constructor(private readonly perSecond: number) {
    this.tokens = perSecond * 2;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.perSecond * 2, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/** Answers a handshake with an HTTP error in the API's shape, and hangs up. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** Tells the viewer why (one JSON message) and closes: 4000 + the HTTP status the API would answer. */
function fail(ws: WebSocket, err: unknown): void {
  const e = isAppError(err) ? toPublicError(err) : typeof err === 'object' && err && 'code' in err ? (err as { code: string; message: string }) : toPublicError(err);
  const status = isAppError(err) ? err.statusCode : e.code === 'forbidden' ? 403 : 500;
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', code: e.code, message: e.message }));
  ws.close(4000 + status, e.code.slice(0, 100));
}
