import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../core/index.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `Authorization: Bearer <key>` against the configured keys; open when none are configured. */
export function apiKeyAuth(keys: string[]): RequestHandler {
  const digests = keys.map(digest);
  return (req, _res, next) => {
    if (digests.length === 0) return next();
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m) return next(new AppError('unauthorized', 'Missing API key: send Authorization: Bearer <key>'));
    const given = digest(m[1]!);
    // compare against every key so timing does not reveal which one matched
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    next(ok ? undefined : new AppError('unauthorized', 'Invalid API key'));
  };
}
