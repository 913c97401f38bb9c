import type { RequestHandler } from 'express';
import { AppError, isId, type ErrorDetail, type RecordKind } from '../core/index.js';

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

/** Small request-shape checks that produce `invalid_request` with JSON paths. */
export function requireObject(body: unknown, what = 'body'): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('invalid_request', `The request ${what} must be a JSON object`, [{ path: what, message: 'expected an object' }]);
  }
  return body as Record<string, unknown>;
}

export class Checker {
  readonly details: ErrorDetail[] = [];
  constructor(private readonly obj: Record<string, unknown>) {}

  string(key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (opts.required) this.details.push({ path: key, message: 'is required' });
      return undefined;
    }
    if (typeof v !== 'string') this.details.push({ path: key, message: 'must be a string' });
    else if (opts.max && v.length > opts.max) this.details.push({ path: key, message: `must be at most ${opts.max} characters` });
    else return v;
    return undefined;
  }

  boolean(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.details.push({ path: key, message: 'must be true or false' });
    return typeof v === 'boolean' ? v : undefined;
  }

  number(key: string, min: number, max: number): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.details.push({ path: key, message: `must be a number from ${min} to ${max}` });
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      this.details.push({ path: key, message: `must be one of ${values.join(', ')}` });
      return undefined;
    }
    return v as T;
  }

  httpUrl(key: string, opts: { required?: boolean } = {}): string | undefined {
    const v = this.string(key, { ...opts, max: 4096 });
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol === 'http:' || u.protocol === 'https:') return v;
    } catch {
      /* reported below */
    }
    this.details.push({ path: key, message: 'must be an absolute http(s) URL' });
    return undefined;
  }

  /** Throws invalid_request listing every problem found. */
  done(): void {
    if (this.details.length) throw new AppError('invalid_request', `Invalid request: ${this.details.map((d) => `${d.path} ${d.message}`).join('; ')}`, this.details);
  }
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
  if (details.length) throw new AppError('invalid_request', `Invalid query: ${bad.join(' and ')} must be a whole number`, details);
  return { limit, offset };
}
