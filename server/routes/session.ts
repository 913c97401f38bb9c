import { Router } from 'express';
import { AppError } from '../../core/index.js';
import { SESSION_COOKIE, SESSION_MAX_AGE_S, cookieValue, type ConsoleSessions } from '../console-session.js';
import { bodyChecker } from '../validate.js';
import { SessionBody } from '../schemas/index.js';

/**
 * The console's sign-in (open: the key is checked here): POST with `{key}` sets an HttpOnly,
 * SameSite=Strict cookie that stands for the key (never the key itself); GET says whether a key is
 * needed and whether this browser is signed in; DELETE signs out.
 */
export function sessionRoutes(sessions: ConsoleSessions): Router {
  const r = Router();
  const body = bodyChecker(SessionBody);
  r.get('/session', (req, res) => {
    res.json({ authRequired: sessions.required, signedIn: !sessions.required || sessions.verify(cookieValue(req.get('cookie'), SESSION_COOKIE)) });
  });
  r.post('/session', (req, res) => {
    const { key } = body(req.body ?? {});
    if (!sessions.required) return void res.status(204).end();
    const token = sessions.issue(key);
    if (!token) throw new AppError('unauthorized', 'Invalid API key');
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: SESSION_MAX_AGE_S * 1000 });
    res.status(204).end();
  });
  r.delete('/session', (req, res) => {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
    res.status(204).end();
  });
  return r;
}
