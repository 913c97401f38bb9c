import type { Cookie } from 'playwright';
import type { CookieJar } from 'tough-cookie';
import type { Workflow } from '../core/index.js';
import type { StoredSession } from './stored-session.js';

const lifetimes = new WeakMap<StoredSession, Map<string, number>>();
/** Per stored session (and the workflow asking): until when it may be reused (-Infinity: never), worked out once. */
const reusableUntil = new WeakMap<StoredSession, { wf: Workflow; until: number }>();

/**
 * Until when a stored session may be reused by runs of `wf` (-Infinity: never): it must hold every
 * token later steps need (`needed`) and every session cookie alive. Worked out once per stored version.
 */
export function usableUntil(s: StoredSession, wf: Workflow, needed: readonly string[]): number {
  let m = reusableUntil.get(s);
  if (!m || m.wf !== wf) {
    let until = -Infinity;
    if (s.tokens && needed.every((t) => t in s.tokens)) {
      const lifetimes = cookieLifetimes(s);
      until = Infinity;
      for (const c of wf.session?.cookies ?? []) until = Math.min(until, lifetimes.get(c) ?? -Infinity);
    }
    reusableUntil.set(s, (m = { wf, until }));
  }
  return m.until;
}

/** Per cookie name, when its last copy in the stored jar expires (Infinity: a session cookie), read once per stored version. */
function cookieLifetimes(s: StoredSession): Map<string, number> {
  let m = lifetimes.get(s);
  if (m) return m;
  m = new Map();
  for (const c of s.jar?.cookies ?? []) {
    const t = !c.expires || c.expires === 'Infinity' ? Infinity : Date.parse(String(c.expires));
    const key = String(c.key);
    // An unreadable date counts as expired, as before.
    const v = Number.isNaN(t) ? -Infinity : t;
    m.set(key, Math.max(m.get(key) ?? -Infinity, v));
  }
  lifetimes.set(s, m);
  return m;
}

export function setCookie(jar: CookieJar, name: string, value: string, domain: string, path: string, c?: Partial<Cookie>): void {
  const host = domain.replace(/^\./, '');
  const secure = c?.secure ?? false;
  const url = `${secure ? 'https' : 'http'}://${host}${path || '/'}`;
  let str = `${name}=${value}; Path=${path || '/'}`;
  if (domain.startsWith('.')) str += `; Domain=${host}`;
  if (c?.expires !== undefined && c.expires > 0) str += `; Expires=${new Date(c.expires * 1000).toUTCString()}`;
  if (c?.httpOnly) str += '; HttpOnly';
  if (secure) str += '; Secure';
  try {
    jar.setCookieSync(str, url, { ignoreError: true });
  } catch {
    // A cookie tough-cookie will not take is one the HTTP runner could not send either.
  }
}
