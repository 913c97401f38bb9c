import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { AppError } from '../core/index.js';
import type { AddressPolicy } from '../core/index.js';
import { pathOnly, type RunJar } from './run-jar.js';

export interface HttpClientOptions {
  policy: AddressPolicy;
  /** Largest body read (compressed and decompressed). */
  maxResponseBytes: number;
  /** Idle keep-alive sockets are kept this long (ms). Default 30000. */
  keepAliveMs?: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string | Buffer;
  /** `url` already parsed, when the caller has it (saves parsing it again). */
  parsedUrl?: URL;
  /**
   * Its origin and its path with the query, when the caller has them: with both, `url` is not
   * parsed again (the caller vouches that they are what URL parsing would give).
   */
  origin?: string;
  path?: string;
  /**
   * The headers object is the sender's to change and holds only sendable headers (see
   * isSendableHeader): it is used as is, not copied.
   */
  ownHeaders?: boolean;
}

export interface SendOptions {
  jar: RunJar;
  /** Origins (scheme://host:port) every hop must stay within. */
  origins: ReadonlySet<string>;
  /** Redirect hops to follow. */
  maxHops: number;
  /** Aborts the request (run deadline, cancellation); none when nothing can abort it mid-request. */
  signal?: AbortLike;
  /** Budget of the whole step, hops included (ms): undici's own timers enforce it, no timer per request here. */
  timeoutMs: number;
}

/** An AbortSignal, or an object with aborted/reason and the EventEmitter methods undici calls for 'abort' (on, once, removeListener). */
export type AbortLike = AbortSignal | { readonly aborted: boolean; readonly reason?: unknown; on(event: 'abort', l: () => void): unknown; once(event: 'abort', l: () => void): unknown; removeListener(event: 'abort', l: () => void): unknown };

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** URL of the final response. */
  url: string;
  body: Buffer;
  /** MIME type without parameters, lower case ('' when absent). */
  contentType: string;
  /** Location headers seen across hops, raw, in order. */
  locations: readonly string[];
  /** Absolute URLs the hops went to (after the first request). */
  hopUrls: readonly string[];
  /** Cookies set by any hop, name → value. */
  setCookies: ReadonlyMap<string, string>;
}

/**
 * Why a request got no response. `delivered` is false when the request certainly never reached
 * the server (connection refused, address refused): only then may a state-changing step be retried.
 */
export class TransportError extends Error {
  constructor(
    readonly kind: 'refused' | 'reset' | 'timeout' | 'aborted' | 'too_large',
    message: string,
    readonly delivered: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

const DROP_HEADERS = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'proxy-connection', 'cookie', 'accept-encoding', 'trailer', 'http2-settings']);
const ACCEPT_ENCODING = 'gzip, deflate, br';
const NONE: readonly string[] = Object.freeze([]);
const NO_COOKIES: ReadonlyMap<string, string> = new Map();

/** A recorded header that may be sent as recorded (hop-by-hop headers, cookies and pseudo-headers are ours to set). */
export function isSendableHeader(lowerCaseName: string): boolean {
  return !DROP_HEADERS.has(lowerCaseName) && lowerCaseName.charCodeAt(0) !== 58 /* ':' */;
}

/**
 * The HTTP runner's transport: one undici Agent (keep-alive pools per origin) whose sockets only
 * connect to addresses the AddressPolicy allows, checked in the lookup and again on the connected
 * socket. Redirects are followed here by hand so every hop's Set-Cookie lands in the jar and every
 * hop's origin is checked.
 */
export class HttpClient {
  private readonly agent: Agent;
  private readonly policy: AddressPolicy;
  private readonly maxBytes: number;

  constructor(opts: HttpClientOptions) {
    this.policy = opts.policy;
    this.maxBytes = opts.maxResponseBytes;
    const base = buildConnector({ lookup: opts.policy.lookup as never, timeout: 10_000 });
    const connect: buildConnector.connector = (options, cb) => {
      base(options, (err, socket) => {
        if (err || !socket) return cb(err ?? new Error('no socket'), null);
        // IP literals skip the lookup; rebinding races it: the connected address is the truth.
        const why = socket.remoteAddress ? this.policy.refusal(socket.remoteAddress) : 'unknown remote address';
        if (why) {
          socket.destroy();
          return cb(Object.assign(new Error(`Refused to contact ${options.hostname}: ${why}`), { code: 'ERR_TARGET_FORBIDDEN' }), null);
        }
        cb(null, socket);
      });
    };
    this.agent = new Agent({ connect, keepAliveTimeout: opts.keepAliveMs ?? 30_000, keepAliveMaxTimeout: 600_000 });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Sends a request, following up to maxHops redirects within the allowed origins. */
  async send(req: HttpRequest, opts: SendOptions): Promise<HttpResponse> {
    // Strings on the hot path; a URL object only when a hop, a cookie or an error needs one.
    let parsed = req.parsedUrl;
    let href: string;
    let origin: string;
    let path: string;
    if (req.origin !== undefined && req.path !== undefined) {
      href = req.url;
      origin = req.origin;
      path = req.path;
    } else {
      parsed ??= new URL(req.url);
      href = parsed.href;
      origin = parsed.origin;
      path = parsed.pathname + parsed.search;
    }
    const url = (): URL => (parsed ??= new URL(href));
    let method = req.method.toUpperCase();
    let body = req.body;
    let headers: Record<string, string>;
    if (req.ownHeaders) headers = req.headers;
    else {
      headers = {};
      for (const k in req.headers) if (isSendableHeader(k)) headers[k] = req.headers[k]!;
    }
    headers['accept-encoding'] = ACCEPT_ENCODING;
    // Made when a response has something to put in them: most have none.
    let locations: string[] | undefined;
    let hopUrls: string[] | undefined;
    let setCookies: Map<string, string> | undefined;
    const until = Date.now() + opts.timeoutMs;
    for (let hop = 0; ; hop++) {
      if (!opts.origins.has(origin) || !(origin.startsWith('http://') || origin.startsWith('https://'))) this.refuse(url(), origin);
      // The headers object is ours (built above): the cookie goes in place, no copy per hop.
      const cookie = opts.jar.header(href, origin, path);
      if (cookie) headers.cookie = cookie;
      else if (headers.cookie !== undefined) delete headers.cookie;
      // The same value request after request on the first hop: undici keeps a connection's timer when
      // the timeout does not change, and sets up a new one each time it does.
      const left = hop === 0 ? opts.timeoutMs : Math.max(1, until - Date.now());
      let res: Exchange;
      try {
        res = await new Exchange(this.maxBytes, opts.signal, path, hop < opts.maxHops, method === 'HEAD').start(this.agent, { origin, path, method, headers, body, headersTimeout: left, bodyTimeout: left });
      } catch (err) {
        throw toTransportError(err, opts.signal, `${method} ${origin}${path}`);
      }
      const setCookie = res.headers['set-cookie'];
      if (setCookie) {
        for (const c of Array.isArray(setCookie) ? setCookie : [setCookie]) {
          const stored = opts.jar.store(c, href);
          if (stored) (setCookies ??= new Map()).set(stored.key, stored.value);
        }
      }
      const loc = header(res.headers, 'location');
      const isRedirect = isRedirectStatus(res.statusCode) && loc !== undefined;
      if (isRedirect) (locations ??= []).push(loc);
      if (isRedirect && hop < opts.maxHops) {
        parsed = new URL(loc, url());
        href = parsed.href;
        origin = parsed.origin;
        path = parsed.pathname + parsed.search;
        (hopUrls ??= []).push(href);
        if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          if (method !== 'HEAD') method = 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        continue;
      }
      const raw = res.body;
      const ct = header(res.headers, 'content-type') ?? '';
      return {
        status: res.statusCode,
        headers: res.headers,
        url: href,
        body: this.decode(raw, header(res.headers, 'content-encoding'), url),
        contentType: mimeOf(ct),
        locations: locations ?? NONE,
        hopUrls: hopUrls ?? NONE,
        setCookies: setCookies ?? NO_COOKIES,
      };
    }
  }

  /** Why a request may not go to `origin`, thrown. */
  private refuse(url: URL, origin: string): never {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('target_forbidden', `Refused to contact ${url.protocol} URL`);
    throw new AppError('target_forbidden', `Refused to contact ${origin}: not one of the workflow's origins`);
  }

  private decode(raw: Buffer, encoding: string | undefined, url: () => URL): Buffer {
    if (!encoding || raw.length === 0) return raw;
    const limit = { maxOutputLength: this.maxBytes };
    let out = raw;
    // Listed in the order applied, so undone in reverse.
    for (const enc of encoding.toLowerCase().split(',').map((s) => s.trim()).reverse()) {
      try {
        if (enc === 'gzip' || enc === 'x-gzip') out = gunzipSync(out, limit);
        else if (enc === 'br') out = brotliDecompressSync(out, limit);
        else if (enc === 'deflate') out = out[0] !== undefined && (out[0] & 0x0f) === 8 ? inflateSync(out, limit) : inflateRawSync(out, limit);
        else if (enc !== 'identity' && enc !== '') throw new AppError('target_error', `Response of ${url().pathname} uses unsupported content-encoding ${enc}`);
      } catch (err) {
        if (err instanceof AppError) throw err;
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(url().pathname, this.maxBytes);
        throw new AppError('target_error', `Response of ${url().pathname} could not be decompressed (${enc})`);
      }
    }
    return out;
  }
}

let lastContentType = '';
let lastMime = '';

/** MIME type of a Content-Type value: no parameters, lower case (a site sends the same few values: the last one is remembered). */
function mimeOf(ct: string): string {
  if (ct === lastContentType) return lastMime;
  const semi = ct.indexOf(';');
  lastMime = (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  lastContentType = ct;
  return lastMime;
}

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function tooLarge(path: string, max: number): TransportError {
  return new TransportError('too_large', `Response of ${pathOnly(path)} exceeds ${max} bytes`, true);
}

function isRedirectStatus(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

const EMPTY = Buffer.alloc(0);

/**
 * One request and its whole response through undici's dispatch API: the body is gathered as it
 * arrives, up to the size cap. request() would wrap it in a Readable stream and an async resource
 * per request, which a runner that always reads the whole body does not need (~15 µs a request).
 * The body of a redirect that will be followed is read off and dropped (the connection stays usable).
 */
class Exchange implements Dispatcher.DispatchHandler {
  statusCode = 0;
  headers: Record<string, string | string[] | undefined> = {};
  body: Buffer = EMPTY;
  private chunks: Buffer[] | undefined;
  private size = 0;
  private keep = true;
  private settled = false;
  private abortReason: unknown;
  private controller?: Dispatcher.DispatchController;
  private resolve!: (e: Exchange) => void;
  private reject!: (err: unknown) => void;
  private readonly onAbort = (): void => {
    const reason = (this.signal as { reason?: unknown }).reason ?? new Error('aborted');
    this.abortReason = reason;
    // The caller hears of it now, whether or not undici has started the request yet.
    this.fail(reason);
  };

  constructor(
    private readonly max: number,
    private readonly signal: AbortLike | undefined,
    private readonly path: string,
    /** A redirect answer will be followed: its body is not wanted. */
    private readonly followsRedirects: boolean,
    /** A HEAD request: the declared length is the resource's, no body comes. */
    private readonly head: boolean,
  ) {}

  start(agent: Dispatcher, options: Dispatcher.DispatchOptions): Promise<Exchange> {
    const done = new Promise<Exchange>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const signal = this.signal;
    if (signal) {
      if (signal.aborted) {
        this.onAbort();
        return done;
      }
      if ('addEventListener' in signal) signal.addEventListener('abort', this.onAbort, { once: true });
      else signal.once('abort', this.onAbort);
    }
    agent.dispatch(options, this);
    return done;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason !== undefined) controller.abort(this.abortReason as Error);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx answers are followed by the real one.
    if (statusCode < 200) return;
    this.statusCode = statusCode;
    this.headers = headers;
    if (this.followsRedirects && isRedirectStatus(statusCode) && headers.location !== undefined) {
      this.keep = false;
      return;
    }
    if (this.head || statusCode === 204 || statusCode === 304) return;
    const declared = Number(header(headers, 'content-length'));
    if (declared > this.max) this.abortWith(controller, tooLarge(this.path, this.max));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.keep || this.settled) return;
    this.size += chunk.length;
    if (this.size > this.max) return this.abortWith(controller, tooLarge(this.path, this.max));
    (this.chunks ??= []).push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    const c = this.chunks;
    if (c) this.body = c.length === 1 ? c[0]! : Buffer.concat(c, this.size);
    this.settled = true;
    this.unlisten();
    this.resolve(this);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  private abortWith(controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
    controller.abort(err);
  }

  private fail(err: unknown): void {
    if (this.settled) {
      // Aborted after the caller gave up: stop the request if it is still going.
      return;
    }
    this.settled = true;
    this.unlisten();
    if (this.abortReason !== undefined && this.controller && !this.controller.aborted) this.controller.abort(this.abortReason as Error);
    this.reject(err);
  }

  private unlisten(): void {
    const signal = this.signal;
    if (!signal) return;
    if ('removeEventListener' in signal) signal.removeEventListener('abort', this.onAbort);
    else signal.removeListener('abort', this.onAbort);
  }
}

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

function toTransportError(err: unknown, signal: AbortLike | undefined, what: string): Error {
  if (err instanceof AppError || err instanceof TransportError) return err;
  const code = errCode(err);
  if (code === 'ERR_TARGET_FORBIDDEN') return new AppError('target_forbidden', (err as Error).message);
  // undici refused to build the request (a header value outside Latin-1, say): nothing was sent,
  // and sending it again would not help.
  if (code === 'UND_ERR_INVALID_ARG') return new AppError('invalid_input', `${what} cannot be sent: ${(err as Error).message} (a value HTTP cannot carry there)`);
  if (signal?.aborted) return new TransportError('aborted', `${what}: aborted`, true, { cause: signal.reason });
  if (code && REFUSED.has(code)) return new TransportError('refused', `${what}: ${code}`, false, { cause: err });
  if (code && TIMEOUT.has(code)) return new TransportError('timeout', `${what}: ${code}`, true, { cause: err });
  return new TransportError('reset', `${what}: ${code ?? (err as Error)?.message ?? 'connection failed'}`, true, { cause: err });
}

function errCode(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let i = 0; e && i < 4; i++) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
    if (e.code === 'UND_ERR_SOCKET' && !e.cause) return e.code;
    e = e.cause as typeof e;
  }
  return (err as { code?: string })?.code;
}
