import { Cookie, type CookieJar, type SerializedCookieJar } from 'tough-cookie';
import { jarFrom, newJar } from './cookie-jar.js';
import { pathOnly } from './exchange.js';
import type { CookieSource } from './http-client.js';

const MEMO_MAX = 256;
const MEMO_TTL_MS = 60_000;

/**
 * The jar of one stored session version, shared read-only by the warm runs that use it, with
 * its Cookie headers memoised per URL path: a warm run asks tough-cookie nothing.
 */
class SharedJar {
  readonly jar: CookieJar;
  private readonly memo = new Map<string, { value: string; until: number }>();
  /** Earliest expiry of a cookie in the jar: a memoised header is not used past it. */
  private readonly minExpiry: number;
  /** Every cookie has Path=/: the header depends on the origin only, not on the path. */
  private readonly rootOnly: boolean;

  constructor(readonly serialized: SerializedCookieJar) {
    this.jar = jarFrom(serialized);
    let min = Infinity;
    let rootOnly = true;
    for (const raw of serialized.cookies ?? []) {
      const c = Cookie.fromJSON(raw);
      const t = c?.expiryTime();
      if (t !== undefined && t < min) min = t;
      if (c?.path !== '/') rootOnly = false;
    }
    this.minExpiry = min;
    this.rootOnly = rootOnly;
  }

  header(href: string, origin: string, path: string): string {
    const key = this.rootOnly ? origin : origin + pathOnly(path);
    const now = Date.now();
    const hit = this.memo.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = this.jar.getCookieStringSync(href);
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    this.memo.set(key, { value, until: Math.min(now + MEMO_TTL_MS, this.minExpiry) });
    return value;
  }
}

const shared = new WeakMap<SerializedCookieJar, SharedJar>();
const EMPTY: SerializedCookieJar = newJar().serializeSync()!;

/**
 * A run's cookies: starts on the shared jar of the stored session and copies it on the first
 * write (Set-Cookie), so concurrent runs never see each other's changes.
 */
export class RunJar implements CookieSource {
  private own?: CookieJar;
  private readonly base?: SharedJar;

  private constructor(base: SharedJar | undefined, own: CookieJar | undefined) {
    this.base = base;
    this.own = own;
  }

  /** A run jar over a stored session's jar (copy on write). */
  static fromStored(serialized: SerializedCookieJar | undefined): RunJar {
    if (!serialized) return new RunJar(undefined, newJar());
    let s = shared.get(serialized);
    if (!s) {
      s = new SharedJar(serialized);
      shared.set(serialized, s);
    }
    return new RunJar(s, undefined);
  }

  static of(jar: CookieJar): RunJar {
    return new RunJar(undefined, jar);
  }

  /** An empty jar (tough-cookie's is only built on the first write). */
  static empty(): RunJar {
    return RunJar.fromStored(EMPTY);
  }

  /** The Cookie header for a URL ('' when none), given as its href, its origin and its path (with or without the query). */
  header(href: string, origin: string, path: string): string {
    if (this.own) return this.own.getCookieStringSync(href);
    return this.base!.header(href, origin, path);
  }

  /** Stores a Set-Cookie header received from `url`; the stored cookie, if it was accepted. */
  store(setCookie: string, url: string): { key: string; value: string } | undefined {
    return this.writable().setCookieSync(setCookie, url, { ignoreError: true }) ?? undefined;
  }

  /** The current value of a cookie sent to `url`. */
  value(url: string, name: string): string | undefined {
    const jar = this.own ?? this.base!.jar;
    return jar.getCookiesSync(url).find((c) => c.key === name)?.value;
  }

  /** Names of every cookie held. */
  names(): string[] {
    return this.serialize().cookies.map((c) => String(c.key));
  }

  serialize(): SerializedCookieJar {
    if (this.own) return this.own.serializeSync() as SerializedCookieJar;
    return this.base!.serialized;
  }

  /** The underlying jar, copied first when still shared. */
  writable(): CookieJar {
    this.own ??= jarFrom(this.base!.serialized);
    return this.own;
  }
}
