import type { HAREntry, HARFile } from '../../core/index.js';

/** A compact description of one exchange, expanded into a full HAR entry by `har()`. */
export interface Ex {
  method?: string;
  url: string;
  reqHeaders?: Record<string, string>;
  cookies?: Record<string, string>;
  post?: { mime: string; text: string };
  status?: number;
  mime?: string;
  body?: string;
  resHeaders?: Array<[string, string]>;
  setCookies?: Record<string, string>;
  location?: string;
  resourceType?: string;
  /** ms after the HAR's start (default: 100 ms per entry). */
  at?: number;
}

export const T0 = Date.parse('2026-01-10T10:00:00.000Z');

export function entry(e: Ex, i: number): HAREntry {
  const headers = Object.entries(e.reqHeaders ?? {}).map(([name, value]) => ({ name, value }));
  const cookies = Object.entries(e.cookies ?? {}).map(([name, value]) => ({ name, value }));
  if (cookies.length) headers.push({ name: 'Cookie', value: cookies.map((c) => `${c.name}=${c.value}`).join('; ') });
  const resHeaders = (e.resHeaders ?? []).map(([name, value]) => ({ name, value }));
  if (e.mime) resHeaders.push({ name: 'Content-Type', value: e.mime });
  for (const [n, v] of Object.entries(e.setCookies ?? {})) resHeaders.push({ name: 'Set-Cookie', value: `${n}=${v}; Path=/; HttpOnly` });
  if (e.location) resHeaders.push({ name: 'Location', value: e.location });
  const u = new URL(e.url);
  return {
    startedDateTime: new Date(T0 + (e.at ?? i * 100)).toISOString(),
    time: 10,
    request: {
      method: e.method ?? (e.post ? 'POST' : 'GET'),
      url: e.url,
      httpVersion: 'HTTP/1.1',
      cookies,
      headers,
      queryString: [...u.searchParams].map(([name, value]) => ({ name, value })),
      ...(e.post ? { postData: { mimeType: e.post.mime, text: e.post.text } } : {}),
      headersSize: -1,
      bodySize: e.post ? e.post.text.length : 0,
    },
    response: {
      status: e.status ?? (e.location ? 302 : 200),
      statusText: '',
      httpVersion: 'HTTP/1.1',
      cookies: Object.entries(e.setCookies ?? {}).map(([name, value]) => ({ name, value })),
      headers: resHeaders,
      content: { size: e.body?.length ?? 0, mimeType: e.mime ?? '', ...(e.body !== undefined ? { text: e.body } : {}) },
      redirectURL: e.location ?? '',
      headersSize: -1,
      bodySize: e.body?.length ?? 0,
    },
    cache: {},
    timings: { send: 1, wait: 5, receive: 1 },
    ...(e.resourceType ? { _resourceType: e.resourceType } : {}),
  };
}

export function har(exchanges: Ex[]): HARFile {
  return { log: { version: '1.2', creator: { name: 'test', version: '1' }, entries: exchanges.map(entry) } };
}

export const ORIGIN = 'https://shop.example.com';
export const json = (v: unknown): Pick<Ex, 'mime' | 'body'> => ({ mime: 'application/json', body: JSON.stringify(v) });
export const html = (body: string): Pick<Ex, 'mime' | 'body'> => ({ mime: 'text/html; charset=utf-8', body });
export const jsonPost = (v: unknown): Ex['post'] => ({ mime: 'application/json', text: JSON.stringify(v) });
export const formPost = (fields: Record<string, string>): Ex['post'] => ({ mime: 'application/x-www-form-urlencoded', text: new URLSearchParams(fields).toString() });
