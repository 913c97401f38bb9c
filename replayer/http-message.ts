import type { AbortLike } from './transport-error.js';

/** Where a request's cookies come from and its Set-Cookies go (the run's jar): the transport knows no more of sessions. */
export interface CookieSource {
  /** The Cookie header for a URL ('' when none), given as its href, its origin and its path (with or without the query). */
  header(href: string, origin: string, path: string): string;
  /** Stores a Set-Cookie header received from `url`; the stored cookie, if it was accepted. */
  store(setCookie: string, url: string): { key: string; value: string } | undefined;
}

export interface HttpRequest {
  method: string;
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string | Buffer;
  /** `url` already parsed, when the caller has it (saves parsing it again). */
  parsedUrl?: URL;
  /**
   * Its origin and its path with the query, when the caller has them: with both, `url` is not
   * parsed again (the caller vouches that they are what URL parsing would give).
   */
  origin?: string;
  path?: string;
  /**
   * The headers object is the sender's to change and holds only sendable headers (see
   * isSendableHeader): it is used as is, not copied.
   */
  ownHeaders?: boolean;
}

export interface SendOptions {
  jar: CookieSource;
  /** Origins (scheme://host:port) every hop must stay within. */
  origins: ReadonlySet<string>;
  /** Redirect hops to follow. */
  maxHops: number;
  /** Aborts the request (run deadline, cancellation); none when nothing can abort it mid-request. */
  signal?: AbortLike;
  /** Budget of the whole step, hops included (ms): undici's own timers enforce it, no timer per request here. */
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** URL of the final response. */
  url: string;
  body: Buffer;
  /** MIME type without parameters, lower case ('' when absent). */
  contentType: string;
  /** Location headers seen across hops, raw, in order. */
  locations: readonly string[];
  /** Absolute URLs the hops went to (after the first request). */
  hopUrls: readonly string[];
  /** Cookies set by any hop, name → value. */
  setCookies: ReadonlyMap<string, string>;
}

const DROP_HEADERS = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'proxy-connection', 'cookie', 'accept-encoding', 'trailer', 'http2-settings']);

/** A recorded header that may be sent as recorded (hop-by-hop headers, cookies and pseudo-headers are ours to set). */
export function isSendableHeader(lowerCaseName: string): boolean {
  return !DROP_HEADERS.has(lowerCaseName) && lowerCaseName.charCodeAt(0) !== 58 /* ':' */;
}
