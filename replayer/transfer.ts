import { isSendableHeader, type CookieSource, type HttpRequest } from './http-message.js';

/**
 * One request on its way through its redirects: where it goes now, what it sends, and what the
 * hops said. Strings on the hot path; a URL object only when a hop, a cookie or an error needs one.
 */
export class Transfer {
  href: string;
  origin: string;
  /** Path and query. */
  path: string;
  method: string;
  body: string | Buffer | undefined;
  /** Ours to change (copied from the request unless it said ownHeaders). */
  readonly headers: Record<string, string>;
  // Made when a response has something to put in them: most have none.
  locations?: string[];
  hopUrls?: string[];
  setCookies?: Map<string, string>;
  private parsed?: URL;

  constructor(req: HttpRequest, acceptEncoding: string) {
    this.parsed = req.parsedUrl;
    if (req.origin !== undefined && req.path !== undefined) {
      this.href = req.url;
      this.origin = req.origin;
      this.path = req.path;
    } else {
      const parsed = (this.parsed ??= new URL(req.url));
      this.href = parsed.href;
      this.origin = parsed.origin;
      this.path = parsed.pathname + parsed.search;
    }
    this.method = req.method.toUpperCase();
    this.body = req.body;
    let headers: Record<string, string>;
    if (req.ownHeaders) headers = req.headers;
    else {
      headers = {};
      for (const k in req.headers) if (isSendableHeader(k)) headers[k] = req.headers[k]!;
    }
    headers['accept-encoding'] = acceptEncoding;
    this.headers = headers;
  }

  url(): URL {
    return (this.parsed ??= new URL(this.href));
  }

  /** A hop's Set-Cookie headers go to the jar; those it took are kept by name for the response. */
  keepCookies(jar: CookieSource, setCookie: string | string[]): void {
    for (const c of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const stored = jar.store(c, this.href);
      if (stored) (this.setCookies ??= new Map()).set(stored.key, stored.value);
    }
  }

  /** Goes where a redirect points; a 303 (and a 301/302 answering a POST) turns into a GET without a body. */
  follow(location: string, status: number): void {
    const parsed = new URL(location, this.url());
    this.parsed = parsed;
    this.href = parsed.href;
    this.origin = parsed.origin;
    this.path = parsed.pathname + parsed.search;
    (this.hopUrls ??= []).push(this.href);
    if (status === 303 || ((status === 301 || status === 302) && this.method === 'POST')) {
      if (this.method !== 'HEAD') this.method = 'GET';
      this.body = undefined;
      delete this.headers['content-type'];
    }
  }
}
