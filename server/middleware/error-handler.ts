import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError, type Logger } from '../../core/index.js';

/**
 * Errors of Express itself mapped onto the catalogue: body-parser's carry a `type`; a body that
 * does not decompress carries zlib's `Z_…` code; a path parameter that is not valid
 * percent-encoding (`%ff`) is the router's URIError.
 */
function fromExpress(err: { type?: string; code?: unknown; status?: unknown; message?: string; limit?: number }): AppError | undefined {
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    return new AppError('invalid_request', 'The URL path is not valid percent-encoded UTF-8', { details: [{ path: 'path', message: 'invalid percent-encoding' }] });
  }
  if (err.type === undefined && typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return new AppError('invalid_request', `The request body cannot be decompressed as its Content-Encoding says: ${err.message ?? err.code}`, { details: [{ path: 'Content-Encoding', message: 'does not match the body' }] });
  }
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('invalid_json', `Request body is not valid JSON: ${err.message ?? ''}`.trim());
    case 'entity.too.large':
      return new AppError('payload_too_large', `Request body is larger than the limit of ${err.limit} bytes`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', err.message ?? 'Unsupported body encoding');
    case 'request.aborted':
    case 'stream.encoding.set':
    case 'request.size.invalid':
      return new AppError('invalid_request', err.message ?? 'Unreadable request body');
    default:
      return undefined;
  }
}

/**
 * The one place errors become HTTP responses: `{error:{code,message,details}}`. An error that is
 * not an AppError is a plain 500 that exposes nothing (the stack goes to the log only).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appErr = isAppError(err) ? err : fromExpress(err ?? {});
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (appErr) {
      if (appErr.retryAfter !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(appErr.retryAfter))));
      if (appErr.statusCode >= 500) logger.warn('request failed', { code: appErr.code, path: req.path, status: appErr.statusCode });
      res.status(appErr.statusCode).json({ error: appErr.toJSON() });
      return;
    }
    logger.error('unhandled error', { path: req.path, method: req.method, error: String(err?.message ?? err), stack: err?.stack });
    res.status(500).json({ error: { code: 'internal', message: 'Internal error' } });
  };
}

export function notFound(): RequestHandler {
  return (req, _res, next) => next(new AppError('not_found', `No route for ${req.method} ${req.path}`));
}

/** What Node's HTTP parser refused, as a catalogue error (the same statuses Node answers with). */
function fromParser(code: string | undefined): AppError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('header_too_large', 'The request headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError('payload_too_large', 'The chunk extensions of the request body are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('request_timeout', 'The request was not received in time');
    default:
      return new AppError('invalid_request', 'Malformed HTTP request');
  }
}

/** How long a refused connection may stay half-open (the peer still sending) before it is cut. */
const LINGER_MS = 2000;

/**
 * For the server's 'clientError' event: requests Node's HTTP parser refuses (oversized headers,
 * a malformed request line or header, a request timeout) never reach Express, so they are
 * answered here, on the socket, in the same `{error}` format, and the connection is closed.
 * Nothing is written when a response is already under way or the socket is gone.
 */
export function clientErrorHandler(logger: Logger): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    // the parser reports every later chunk too; the first answer is the only one
    if (!socket.writable || socket.writableEnded) return;
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const appErr = fromParser(err.code);
    logger.http('malformed request refused', { code: err.code, status: appErr.statusCode });
    const body = JSON.stringify({ error: appErr.toJSON() });
    // end(), not destroy(): the peer may still be sending, and a reset could lose the answer
    socket.end(
      `HTTP/1.1 ${appErr.statusCode} ${STATUS_CODES[appErr.statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    const cut = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(cut));
  };
}
