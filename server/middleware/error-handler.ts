import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError, type Logger } from '../../core/index.js';

/** Body-parser errors carry a `type`; map them onto the catalogue. */
function fromBodyParser(err: { type?: string; message?: string; limit?: number }): AppError | undefined {
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
    const appErr = isAppError(err) ? err : fromBodyParser(err ?? {});
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
