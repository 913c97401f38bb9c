import type { SessionSpec } from '../../core/index.js';
import type { Analysis } from './analysis.js';
import type { Selection } from './select.js';

const BROKEN_STATUSES = [401, 403, 419, 440];
const BROKEN_PATTERNS = [
  'invalid csrf',
  'csrf token (mismatch|invalid|missing|expired)',
  'invalid (authenticity|xsrf) token',
  'please (log|sign) ?in',
  'session (has )?(expired|timed out)',
  'not (logged|signed) in',
  '(login|authentication) required',
  'unauthenticated',
];

/**
 * How the session is made and how a broken one shows itself. Patterns found in a healthy recorded
 * response are left out (a login page says "please log in" while everything is fine).
 */
export function sessionSpec(a: Analysis, sel: Selection, stepIds: Map<number, string>, tokens: string[]): SessionSpec | null {
  const jsCookies: SessionSpec['jsCookies'] = [];
  const seen = new Set<string>();
  let needsBrowser = false;
  for (const p of sel.kept) {
    const host = a.chains[p]!.head.url?.hostname ?? '';
    for (const ck of a.jsCookies[p]!) {
      if (sel.bootstrap.has(p)) needsBrowser = true;
      if (seen.has(ck.name)) continue;
      seen.add(ck.name);
      jsCookies.push({ name: ck.name, value: ck.value, domain: host, path: '/' });
    }
  }
  const bootstrapSteps = sel.kept.filter((p) => sel.bootstrap.has(p)).map((p) => stepIds.get(p)!);
  if (!bootstrapSteps.length && !sel.sessionCookies.length && !jsCookies.length) return null;

  // Every recorded answer that is not a login form was healthy, the login's own landing page too
  // (an admin page may carry a hidden "Please log in again" dialog on every page).
  const healthy: string[] = [];
  for (const p of sel.kept) {
    const body = a.chains[p]!.final.body ?? '';
    if (!sel.bootstrap.has(p) || !/<input\b[^>]*\btype\s*=\s*["']?password\b/i.test(body)) healthy.push(body);
  }
  const brokenPatterns = BROKEN_PATTERNS.filter((pat) => {
    const re = new RegExp(pat, 'i');
    return !healthy.some((b) => re.test(b));
  });

  let loginUrl: string | undefined;
  if (sel.login !== undefined) {
    const page = sel.kept.find((p) => p < sel.login! && sel.bootstrap.has(p) && a.chains[p]!.head.method === 'GET' && a.chains[p]!.final.mime.includes('html'));
    const u = page !== undefined ? a.chains[page]!.final.url : a.chains[sel.login]!.head.url;
    if (u) loginUrl = pageIdentity(u);
  }
  return {
    bootstrapSteps,
    cookies: sel.sessionCookies,
    tokens,
    ...(loginUrl ? { loginUrl } : {}),
    brokenStatuses: BROKEN_STATUSES,
    brokenPatterns,
    jsCookies,
    needsBrowser,
  };
}

/** Parameters that say where to go next, not which page this is. */
const DESTINATION = /^(redirect(_?to|_?uri|_?url)?|return(_?to|_?url)?|next|back(_?url)?|continue|target|url|referr?er|came_?from|goto|dest(ination)?|from|r)$/i;

/**
 * The login page's URL as far as it tells pages apart: its path, and the query parameters that
 * select it on a single-entry-point app (`/index.php?do=login`), without destinations and tokens.
 */
export function pageIdentity(u: URL): string {
  const keep = new URLSearchParams();
  u.searchParams.forEach((value, name) => {
    if (DESTINATION.test(name) || value === '' || value.length > 32 || /:\/\/|%/.test(value) || /\d{3,}|[0-9a-f]{12,}/i.test(value)) return;
    keep.append(name, value);
  });
  const q = keep.toString();
  return u.origin + u.pathname + (q ? `?${q}` : '');
}
