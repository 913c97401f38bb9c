import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../core/index.js';
import { CONSOLE_HEADER, CONSOLE_HEADER_VALUE, SESSION_COOKIE, cookieValue, keyId, type ConsoleSessions } from '../console-session.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Paths under /v1 that answer without a key (signing in to the console). */
const OPEN_PATHS = new Set(['/session']);

/**
 * `Authorization: Bearer <key>` against the configured keys, or the console's sign-in cookie;
 * open when no keys are configured. The id of the key (never the key) is left in `res.locals.keyId`. A call that changes state on the strength of the cookie must
 * also carry `X-Requested-By: replayfarm-console` (403 otherwise): a form another site posts
 * cannot, and SameSite=Strict keeps the cookie off cross-site requests anyway.
 */
export function apiKeyAuth(keys: string[], sessions?: ConsoleSessions): RequestHandler {
  const digests = keys.map(digest);
  const ids = keys.map(keyId);
  return (req, res, next) => {
    if (digests.length === 0 || OPEN_PATHS.has(req.path)) return next();
    const header = req.get('authorization');
    const fromCookie = header === undefined ? sessions?.keyOf(cookieValue(req.get('cookie'), SESSION_COOKIE)) : undefined;
    if (fromCookie !== undefined) {
      res.locals.keyId = fromCookie;
      if (req.method === 'GET' || req.method === 'HEAD' || req.get(CONSOLE_HEADER) === CONSOLE_HEADER_VALUE) return next();
      return next(new AppError('forbidden', `A call that changes state with the console's sign-in needs the header X-Requested-By: ${CONSOLE_HEADER_VALUE}`));
    }
    const m = /^Bearer\s+(.+)$/i.exec((header ?? '').trim());
    if (!m) return next(new AppError('unauthorized', 'Missing API key: send Authorization: Bearer <key>'));
    const given = digest(m[1]!);
    // compare against every key so timing does not reveal which one matched
    let match = -1;
    digests.forEach((d, i) => {
      if (timingSafeEqual(d, given)) match = i;
    });
    if (match >= 0) res.locals.keyId = ids[match];
    next(match >= 0 ? undefined : new AppError('unauthorized', 'Invalid API key'));
  };
}
