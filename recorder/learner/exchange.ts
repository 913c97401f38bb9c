import type { HARFile } from '../../core/index.js';

/**
 * One HAR entry, read leniently into the shape the learner needs. Exporters omit or mangle
 * optional fields (Charles `redirectURL: null`, mitmproxy failed flows without `content.size`,
 * Firefox empty postData on GETs), so every field has a safe default here and nothing below
 * has to guard against a missing one.
 */
export interface Pair {
  name: string;
  value: string;
}

export interface SetCookie {
  name: string;
  value: string;
  domain?: string;
  path?: string;
}

export interface Exchange {
  /** Position in `log.entries`. */
  index: number;
  method: string;
  rawUrl: string;
  /** Parsed URL without fragment; null when the URL is not absolute/parsable. */
  url: URL | null;
  /** `startedDateTime` in ms since the epoch; NaN when absent or unparsable. */
  startedMs: number;
  resourceType: string;
  reqHeaders: Pair[];
  reqCookies: Pair[];
  postMime: string;
  postText?: string;
  postParams?: Array<{ name: string; value: string; fileName?: string; contentType?: string }>;
  status: number;
  resHeaders: Pair[];
  setCookies: SetCookie[];
  /** Absolute redirect target, when the response carries one. */
  location?: string;
  /** MIME type of the response body, lower case, without parameters. */
  mime: string;
  /** Response body size as the exporter reported it (-1 when unknown). */
  size: number;
  /** Response body as text (base64 bodies decoded when they are text); undefined when absent. */
  body?: string;
  /** The exporter flagged the entry as served through a service worker. */
  viaServiceWorker: boolean;
}

type Loose = Record<string, unknown>;

const obj = (v: unknown): Loose => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function pairs(v: unknown): Pair[] {
  const out: Pair[] = [];
  for (const p of arr(v)) {
    const o = obj(p);
    const name = str(o.name);
    if (name) out.push({ name, value: str(o.value) });
  }
  return out;
}

export function mimeOf(raw: string): string {
  return raw.split(';')[0]!.trim().toLowerCase();
}

const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|ecmascript)|application\/x-javascript)/;

export function isTextual(mime: string): boolean {
  return TEXTUAL.test(mime);
}

export function header(headers: Pair[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const h of headers) if (h.name.toLowerCase() === lower) return h.value;
  return undefined;
}

function parseUrl(raw: string, base?: string): URL | null {
  try {
    const u = new URL(raw, base);
    u.hash = '';
    return u;
  } catch {
    return null;
  }
}

function parseCookieHeader(value: string): Pair[] {
  const out: Pair[] = [];
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out.push({ name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() });
  }
  return out;
}

/** Set-Cookie lines: one header each, or several joined by newlines (Firefox, Playwright). */
function parseSetCookies(headers: Pair[], cookies: unknown): SetCookie[] {
  const out: SetCookie[] = [];
  const seen = new Set<string>();
  for (const h of headers) {
    if (h.name.toLowerCase() !== 'set-cookie') continue;
    for (const line of h.value.split('\n')) {
      const [first, ...attrs] = line.split(';');
      const eq = first ? first.indexOf('=') : -1;
      if (!first || eq <= 0) continue;
      const c: SetCookie = { name: first.slice(0, eq).trim(), value: first.slice(eq + 1).trim() };
      for (const a of attrs) {
        const [k, ...v] = a.split('=');
        const key = k?.trim().toLowerCase();
        if (key === 'domain') c.domain = v.join('=').trim();
        else if (key === 'path') c.path = v.join('=').trim();
      }
      out.push(c);
      seen.add(c.name);
    }
  }
  for (const p of arr(cookies)) {
    const o = obj(p);
    const name = str(o.name);
    if (!name || seen.has(name)) continue;
    out.push({ name, value: str(o.value), domain: str(o.domain) || undefined, path: str(o.path) || undefined });
  }
  return out;
}

function decodeBody(content: Loose, mime: string): string | undefined {
  const text = content.text;
  if (typeof text !== 'string') return undefined;
  if (str(content.encoding).toLowerCase() !== 'base64') return text;
  if (!isTextual(mime)) return undefined;
  try {
    return Buffer.from(text, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}

export function readExchanges(har: HARFile): Exchange[] {
  const log = obj(obj(har).log);
  const out: Exchange[] = [];
  arr(log.entries).forEach((raw, index) => {
    const e = obj(raw);
    const req = obj(e.request);
    const res = obj(e.response);
    const content = obj(res.content);
    const rawUrl = str(req.url);
    const url = parseUrl(rawUrl);
    const reqHeaders = pairs(req.headers);
    const resHeaders = pairs(res.headers);
    let reqCookies = pairs(req.cookies);
    if (reqCookies.length === 0) {
      const ch = header(reqHeaders, 'cookie');
      if (ch) reqCookies = parseCookieHeader(ch);
    }
    const post = obj(req.postData);
    const postParams = arr(post.params).map((p) => {
      const o = obj(p);
      return { name: str(o.name), value: str(o.value), fileName: str(o.fileName) || undefined, contentType: str(o.contentType) || undefined };
    }).filter((p) => p.name);
    const loc = str(res.redirectURL) || header(resHeaders, 'location') || '';
    const location = loc && url ? parseUrl(loc, url.href)?.href : undefined;
    const mime = mimeOf(str(content.mimeType) || header(resHeaders, 'content-type') || '');
    const status = typeof res.status === 'number' ? res.status : Number(res.status) || 0;
    out.push({
      index,
      method: (str(req.method) || 'GET').toUpperCase(),
      rawUrl,
      url,
      startedMs: Date.parse(str(e.startedDateTime)),
      resourceType: str(e._resourceType).toLowerCase(),
      reqHeaders,
      reqCookies,
      postMime: str(post.mimeType) || header(reqHeaders, 'content-type') || '',
      postText: typeof post.text === 'string' ? post.text : undefined,
      postParams: postParams.length ? postParams : undefined,
      status,
      resHeaders,
      setCookies: parseSetCookies(resHeaders, res.cookies),
      location: status >= 300 && status < 400 ? location : undefined,
      mime,
      size: typeof content.size === 'number' ? content.size : -1,
      body: decodeBody(content, mime),
      viaServiceWorker: res._fetchedViaServiceWorker === true || e._fromServiceWorker === true || res._serviceWorkerResponseSource !== undefined,
    });
  });
  return out;
}
