import express, { type RequestHandler } from 'express';
import { AppError } from '../../core/index.js';

export interface JsonBodyOptions {
  /** Largest JSON body in bytes (BODY_LIMIT). */
  limit: number;
  /**
   * Paths (under the router) whose handlers read the body themselves (HAR uploads: gzip, their
   * own limit), each with the media types it takes besides JSON. No default: none.
   */
  raw?: Record<string, readonly string[]>;
}

/** Methods whose body the API reads; GET and DELETE take none. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json$/;

/** `text/plain; charset=utf-8` → `text/plain`; undefined when no type was declared. */
function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return header.split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Request bodies are JSON. A body of another type, or a body without a declared type, is refused
 * with 415 before any route acts on it: a route must never take a form or a text for `{}` and go
 * ahead with its defaults. A request with no body and no Content-Type (`curl -X POST`, fetch
 * without a body) passes: routes whose body is optional read it as empty. A declared non-JSON type
 * is refused even with an empty body: the caller said it is not sending JSON.
 */
export function jsonBody(opts: JsonBodyOptions): RequestHandler {
  const raw = opts.raw ?? {};
  const parse = express.json({ limit: opts.limit, type: ['application/json', 'application/*+json'] });
  return (req, res, next) => {
    const extra = Object.hasOwn(raw, req.path) ? raw[req.path]! : undefined;
    if (BODY_METHODS.has(req.method)) {
      const type = mediaType(req.get('content-type'));
      const hasBody = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
      const ok = type === undefined ? !hasBody : JSON_TYPE.test(type) || (extra?.includes(type) ?? false);
      if (!ok) {
        const accepted = ['application/json', ...(extra ?? [])].join(' or ');
        const got = type === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(type.slice(0, 100))}`;
        return next(new AppError('unsupported_media_type', `The request body must be JSON: send it with Content-Type ${accepted} (got ${got})`, { details: [{ path: 'Content-Type', message: `must be ${accepted}` }] }));
      }
    }
    if (extra) return next();
    parse(req, res, next);
  };
}
