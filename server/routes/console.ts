import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { AppError } from '../../core/index.js';

/** What a console page may load: its own scripts, styles and API, nothing inline, no frames. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/console of this install: found from the nearest package.json up (server/ under tsx, dist/server/ built). */
export function consoleDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      try {
        if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'replayfarm') return join(dir, 'dist', 'console');
      } catch {
        /* not ours */
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The web console (console/, built by `npm run build` into dist/console): static files under
 * /console/ with a strict Content-Security-Policy; `/` leads there. The files hold no data and are
 * open; everything they show comes from /v1, behind the key or the console's sign-in.
 */
export function consoleRoutes(dir = consoleDir()): Router {
  const r = Router();
  const built = dir !== undefined && existsSync(join(dir, 'index.html'));
  r.get('/', (_req, res) => res.redirect(302, '/console/'));
  r.use('/console', (_req, res, next) => {
    res.set({ 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cache-control': 'no-cache' });
    if (!built) return next(new AppError('not_found', 'The console is not built: run npm run build'));
    next();
  });
  if (built) r.use('/console', express.static(dir, { index: 'index.html', redirect: true, fallthrough: true, dotfiles: 'ignore' }));
  return r;
}
