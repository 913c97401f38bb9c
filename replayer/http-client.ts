import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { Agent, buildConnector } from 'undici';
import { AppError } from '../core/index.js';
import type { AddressPolicy } from '../core/index.js';
import { Exchange, header, isRedirectStatus, tooLarge } from './exchange.js';
import type { HttpRequest, HttpResponse, SendOptions } from './http-message.js';
import { toTransportError } from './transport-error.js';
import { Transfer } from './transfer.js';

export { header } from './exchange.js';
export { TransportError, type AbortLike } from './transport-error.js';
export { isSendableHeader, type CookieSource, type HttpRequest, type HttpResponse, type SendOptions } from './http-message.js';

export interface HttpClientOptions {
  policy: AddressPolicy;
  /** Largest body read (compressed and decompressed). */
  maxResponseBytes: number;
  /** Idle keep-alive sockets are kept this long (ms). Default 30000. */
  keepAliveMs?: number;
}

const ACCEPT_ENCODING = 'gzip, deflate, br';
const NONE: readonly string[] = Object.freeze([]);
const NO_COOKIES: ReadonlyMap<string, string> = new Map();

/**
 * The HTTP runner's transport: one undici Agent (keep-alive pools per origin) whose sockets only
 * connect to addresses the AddressPolicy allows, checked in the lookup and again on the connected
 * socket. Redirects are followed here by hand so every hop's Set-Cookie lands in the jar and every
 * hop's origin is checked.
 */
export class HttpClient {
  private readonly agent: Agent;
  private readonly policy: AddressPolicy;
  private readonly maxBytes: number;

  constructor(opts: HttpClientOptions) {
    this.policy = opts.policy;
    this.maxBytes = opts.maxResponseBytes;
    const base = buildConnector({ lookup: opts.policy.lookup as never, timeout: 10_000 });
    const connect: buildConnector.connector = (options, cb) => {
      base(options, (err, socket) => {
        if (err || !socket) return cb(err ?? new Error('no socket'), null);
        // IP literals skip the lookup; rebinding races it: the connected address is the truth.
        const why = socket.remoteAddress ? this.policy.refusal(socket.remoteAddress) : 'unknown remote address';
        if (why) {
          socket.destroy();
          return cb(Object.assign(new Error(`Refused to contact ${options.hostname}: ${why}`), { code: 'ERR_TARGET_FORBIDDEN' }), null);
        }
        cb(null, socket);
      });
    };
    this.agent = new Agent({ connect, keepAliveTimeout: opts.keepAliveMs ?? 30_000, keepAliveMaxTimeout: 600_000 });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Sends a request, following up to maxHops redirects within the allowed origins. */
  async send(req: HttpRequest, opts: SendOptions): Promise<HttpResponse> {
    const t = new Transfer(req, ACCEPT_ENCODING);
    const until = Date.now() + opts.timeoutMs;
    for (let hop = 0; ; hop++) {
      const { origin, path, method, headers } = t;
      if (!opts.origins.has(origin) || !(origin.startsWith('http://') || origin.startsWith('https://'))) this.refuse(t.url(), origin);
      // The headers object is ours (Transfer): the cookie goes in place, no copy per hop.
      const cookie = opts.jar.header(t.href, origin, path);
      if (cookie) headers.cookie = cookie;
      else if (headers.cookie !== undefined) delete headers.cookie;
      // The same value request after request on the first hop: undici keeps a connection's timer when
      // the timeout does not change, and sets up a new one each time it does.
      const left = hop === 0 ? opts.timeoutMs : Math.max(1, until - Date.now());
      let res: Exchange;
      try {
        res = await new Exchange(this.maxBytes, opts.signal, path, hop < opts.maxHops, method === 'HEAD').start(this.agent, { origin, path, method, headers, body: t.body, headersTimeout: left, bodyTimeout: left });
      } catch (err) {
        throw toTransportError(err, opts.signal, `${method} ${origin}${path}`);
      }
      const setCookie = res.headers['set-cookie'];
      if (setCookie) t.keepCookies(opts.jar, setCookie);
      const loc = header(res.headers, 'location');
      const isRedirect = isRedirectStatus(res.statusCode) && loc !== undefined;
      if (isRedirect) (t.locations ??= []).push(loc);
      if (isRedirect && hop < opts.maxHops) {
        t.follow(loc, res.statusCode);
        continue;
      }
      return {
        status: res.statusCode,
        headers: res.headers,
        url: t.href,
        body: this.decode(res.body, header(res.headers, 'content-encoding'), () => t.url()),
        contentType: mimeOf(header(res.headers, 'content-type') ?? ''),
        locations: t.locations ?? NONE,
        hopUrls: t.hopUrls ?? NONE,
        setCookies: t.setCookies ?? NO_COOKIES,
      };
    }
  }

  /** Why a request may not go to `origin`, thrown. */
  private refuse(url: URL, origin: string): never {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AppError('target_forbidden', `Refused to contact ${url.protocol} URL`);
    throw new AppError('target_forbidden', `Refused to contact ${origin}: not one of the workflow's origins`);
  }

  private decode(raw: Buffer, encoding: string | undefined, url: () => URL): Buffer {
    if (!encoding || raw.length === 0) return raw;
    const limit = { maxOutputLength: this.maxBytes };
    let out = raw;
    // Listed in the order applied, so undone in reverse.
    for (const enc of encoding.toLowerCase().split(',').map((s) => s.trim()).reverse()) {
      try {
        if (enc === 'gzip' || enc === 'x-gzip') out = gunzipSync(out, limit);
        else if (enc === 'br') out = brotliDecompressSync(out, limit);
        else if (enc === 'deflate') out = out[0] !== undefined && (out[0] & 0x0f) === 8 ? inflateSync(out, limit) : inflateRawSync(out, limit);
        else if (enc !== 'identity' && enc !== '') throw new AppError('target_error', `Response of ${url().pathname} uses unsupported content-encoding ${enc}`);
      } catch (err) {
        if (err instanceof AppError) throw err;
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(url().pathname, this.maxBytes);
        throw new AppError('target_error', `Response of ${url().pathname} could not be decompressed (${enc})`);
      }
    }
    return out;
  }
}

let lastContentType = '';
let lastMime = '';

/** MIME type of a Content-Type value: no parameters, lower case (a site sends the same few values: the last one is remembered). */
function mimeOf(ct: string): string {
  if (ct === lastContentType) return lastMime;
  const semi = ct.indexOf(';');
  lastMime = (semi === -1 ? ct : ct.slice(0, semi)).trim().toLowerCase();
  lastContentType = ct;
  return lastMime;
}
