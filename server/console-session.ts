import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The cookie that carries a console sign-in. */
export const SESSION_COOKIE = 'rf_session';
/** A console sign-in lasts this long (12 h). */
export const SESSION_MAX_AGE_S = 12 * 3600;
/** Calls that change state with a console cookie must send this header (with SameSite=Strict: no cross-site request can). */
export const CONSOLE_HEADER = 'x-requested-by';
export const CONSOLE_HEADER_VALUE = 'replayfarm-console';

/** The id of an API key: a prefix of its SHA-256, what recordings and sessions name it by (never the key). */
export const keyId = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 16);
const mac = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

/**
 * Console sign-ins as cookies, without server state: `v1.<expiry ms>.<key id>.<HMAC>`, the HMAC
 * keyed with the API key itself. So the cookie never holds the key, every API process (sharing
 * API_KEYS) accepts it, and removing a key from API_KEYS signs out its sessions.
 */
export class ConsoleSessions {
  private readonly keys: Map<string, string>;

  constructor(
    keys: string[],
    private readonly clock: () => number = Date.now,
  ) {
    this.keys = new Map(keys.map((k) => [keyId(k), k]));
  }

  get required(): boolean {
    return this.keys.size > 0;
  }

  /** A token for `key`, or undefined when it is not one of the keys. */
  issue(key: string): string | undefined {
    const id = keyId(key);
    const known = this.keys.get(id);
    if (known === undefined || !safeEqual(known, key)) return undefined;
    const payload = `v1.${this.clock() + SESSION_MAX_AGE_S * 1000}.${id}`;
    return `${payload}.${mac(known, payload)}`;
  }

  /** Whether `token` was issued for a key still configured and has not expired. */
  verify(token: string | undefined): boolean {
    return this.keyOf(token) !== undefined;
  }

  /** The id of the key `token` was issued for, when it is valid (see verify). */
  keyOf(token: string | undefined): string | undefined {
    const m = token ? /^(v1\.(\d{1,15})\.([0-9a-f]{16}))\.([\w-]{43})$/.exec(token) : null;
    if (!m) return undefined;
    const key = this.keys.get(m[3]!);
    if (key === undefined || Number(m[2]) <= this.clock()) return undefined;
    return safeEqual(mac(key, m[1]!), m[4]!) ? m[3] : undefined;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
