import type { RequestHandler } from 'express';
import type { Static, TSchema } from '@sinclair/typebox';
import { AppError, createAjv, isId, schemaProblems, toDetails, type ErrorCode, type ErrorDetail, type RecordKind } from '../core/index.js';

const ID_PREFIX: Record<RecordKind, string> = { recording: 'rec', workflow: 'wf', run: 'run' };

/** Throws not_found unless `id` has the shape of a `kind` id (what newId makes for it). */
export function requireIdOf(kind: RecordKind, id: string): string {
  if (!isId(ID_PREFIX[kind], id)) throw new AppError('not_found', `No ${kind} with id ${String(id).slice(0, 200)}`);
  return id;
}

/**
 * Route middleware for `:id`: an id that newId could not have made for `kind` names nothing, so
 * it is a 404 before Redis is asked, and no id can address an internal key (`workflow:index`).
 */
export function idOf(kind: RecordKind): RequestHandler<{ id: string }> {
  return (req, _res, next) => {
    requireIdOf(kind, req.params.id);
    next();
  };
}

/** The request body must be a JSON object (every body of the API is). */
export function requireObject(body: unknown, what = 'body'): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('invalid_request', `The request ${what} must be a JSON object`, { details: [{ path: what, message: 'expected an object' }] });
  }
  return body as Record<string, unknown>;
}

export interface BodyCheckOptions {
  /** Error code of a body that breaks the schema. Default invalid_request. */
  code?: ErrorCode;
  /**
   * Properties whose contents another check reports with its own code and paths (actions:
   * parseActions, invalid_action, `[0].type`); that they are present is still checked here.
   */
  deferred?: string[];
}

/**
 * A route's body check, compiled from `schema` when the route is built (so a schema changed
 * before an app starts is what that app checks). The returned function throws `code` listing
 * every problem as `{path, message}`, or returns the body typed by the schema.
 */
export function bodyChecker<T extends TSchema>(schema: T, opts: BodyCheckOptions = {}): (body: unknown) => Static<T> {
  const validate = createAjv().compile(schema);
  const deferred = (opts.deferred ?? []).map((p) => `/${p}`);
  return (body) => {
    const obj = requireObject(body);
    if (validate(obj)) return obj as Static<T>;
    const errors = (validate.errors ?? []).filter((e) => !deferred.some((d) => e.instancePath === d || e.instancePath.startsWith(`${d}/`)));
    const details = toDetails(errors, 'body');
    if (!details.length) return obj as Static<T>;
    throw new AppError(opts.code ?? 'invalid_request', `Invalid request: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, { details: details });
  };
}

/** Like bodyChecker, but returns the problems (for checks that add their own before answering). */
export function bodyProblems<T extends TSchema>(schema: T): (body: unknown) => ErrorDetail[] {
  const validate = createAjv().compile(schema);
  return (body) => schemaProblems(validate, body, 'body');
}

/** A query-string check by schema: bad parameters are `invalid_request` with paths like `query.status`. */
export function queryChecker<T extends TSchema>(schema: T): (query: unknown) => Static<T> {
  const validate = createAjv().compile(schema);
  return (query) => {
    const details = schemaProblems(validate, query ?? {}, 'query').map((d) => (d.path === 'query' ? d : { ...d, path: `query.${d.path}` }));
    if (details.length) throw new AppError('invalid_request', `Invalid query: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, { details });
    return query as Static<T>;
  };
}

/**
 * `limit` (1–500, default 50; larger or smaller integers are clamped) and `offset` (≥ 0, default 0)
 * of a list call's query; anything that is not a whole number is `invalid_request`.
 */
export function pagination(query: Record<string, unknown>): { limit: number; offset: number } {
  const details: ErrorDetail[] = [];
  const bad: string[] = [];
  const whole = (key: string, fallback: number): number => {
    const raw = query[key];
    if (raw === undefined) return fallback;
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n)) {
      details.push({ path: `query.${key}`, message: 'must be a whole number' });
      bad.push(key);
      return fallback;
    }
    return n;
  };
  const limit = Math.min(Math.max(whole('limit', 50), 1), 500);
  const offset = Math.max(whole('offset', 0), 0);
  if (details.length) throw new AppError('invalid_request', `Invalid query: ${bad.join(' and ')} must be a whole number`, { details: details });
  return { limit, offset };
}
