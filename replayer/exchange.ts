import type { Dispatcher } from 'undici';
import { TransportError, type AbortLike } from './transport-error.js';

export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function tooLarge(path: string, max: number): TransportError {
  return new TransportError('too_large', `Response of ${pathOnly(path)} exceeds ${max} bytes`, true);
}

export function isRedirectStatus(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/** The path of a path-and-query. */
export function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

const EMPTY = Buffer.alloc(0);

/**
 * One request and its whole response through undici's dispatch API: the body is gathered as it
 * arrives, up to the size cap. request() would wrap it in a Readable stream and an async resource
 * per request, which a runner that always reads the whole body does not need (~15 µs a request).
 * The body of a redirect that will be followed is read off and dropped (the connection stays usable).
 */
export class Exchange implements Dispatcher.DispatchHandler {
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
