import type { BrowserContext, Request, Response } from 'playwright';
import type { HARCookie, HAREntry, HARFile, HARHeader } from '../core/index.js';

export interface TrafficCaptureOptions {
  /** Largest response body kept as text (bytes); bigger or binary bodies keep their size only. Default 2 MiB. */
  maxBodyBytes?: number;
  /** Body bytes kept in all; past it bodies are dropped (sizes stay). Default 64 MiB. */
  maxTotalBodyBytes?: number;
}

const TEXTUAL = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript|ecmascript|ld\+json|graphql)|[^;]*\+(json|xml))/i;

/**
 * A recording's traffic, entry by entry as each request finishes. Playwright's own recordHar is
 * written only when the context closes, so a browser that crashes takes it along; this copy lives
 * in our process and is what a crashed recording keeps. Bodies are read while the browser still
 * runs (text ones only, within limits).
 */
export class TrafficCapture {
  private readonly entries: Array<{ seq: number; entry: HAREntry }> = [];
  private readonly order = new WeakMap<Request, { seq: number; at: number }>();
  private readonly building = new Set<Promise<void>>();
  private readonly maxBody: number;
  private readonly maxTotal: number;
  private seq = 0;
  private bodyBytes = 0;

  constructor(opts: TrafficCaptureOptions = {}) {
    this.maxBody = opts.maxBodyBytes ?? 2 * 1024 * 1024;
    this.maxTotal = opts.maxTotalBodyBytes ?? 64 * 1024 * 1024;
  }

  attach(context: BrowserContext): void {
    context.on('request', (req) => this.order.set(req, { seq: this.seq++, at: Date.now() }));
    context.on('requestfinished', (req) => this.track(req, false));
    context.on('requestfailed', (req) => this.track(req, true));
  }

  /** Requests captured so far (finished or failed). */
  get size(): number {
    return this.entries.length;
  }

  /** Method, URL and status of the requests captured so far, from the `from`-th finished on (in the order they finished). */
  summaries(from = 0): Array<{ method: string; url: string; status: number }> {
    return this.entries.slice(from).map(({ entry }) => ({ method: entry.request.method, url: entry.request.url, status: entry.response.status }));
  }

  /** The traffic captured so far as a HAR, in request order; waits at most `waitMs` for entries still being read. */
  async har(waitMs = 1000): Promise<HARFile> {
    if (this.building.size) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.building]), new Promise((r) => (t = setTimeout(r, waitMs)))]);
      clearTimeout(t);
    }
    const entries = [...this.entries].sort((a, b) => a.seq - b.seq).map((e) => e.entry);
    return { log: { version: '1.2', creator: { name: 'replayfarm', version: 'traffic-capture' }, entries } };
  }

  private track(req: Request, failed: boolean): void {
    const seen = this.order.get(req) ?? { seq: this.seq++, at: Date.now() };
    const p = this.build(req, failed, seen.at).then(
      (entry) => void this.entries.push({ seq: seen.seq, entry }),
      () => undefined, // the browser went away while reading it: the request is lost, not the others
    );
    this.building.add(p);
    void p.finally(() => this.building.delete(p));
  }

  private async build(req: Request, failed: boolean, at: number): Promise<HAREntry> {
    const res = failed ? null : await req.response().catch(() => null);
    const reqHeaders = await req.headersArray().catch(() => toHeaders(req.headers()));
    const url = new URL(req.url());
    const post = req.postDataBuffer();
    const t = req.timing();
    const started = t.startTime > 0 ? t.startTime : at;
    const ms = (v: number) => (v >= 0 ? v : 0);
    const wait = t.responseStart >= 0 && t.requestStart >= 0 ? Math.max(0, t.responseStart - t.requestStart) : 0;
    const receive = t.responseEnd >= 0 && t.responseStart >= 0 ? Math.max(0, t.responseEnd - t.responseStart) : 0;
    const reqType = header(reqHeaders, 'content-type') ?? 'application/octet-stream';
    const entry: HAREntry = {
      startedDateTime: new Date(started).toISOString(),
      time: ms(t.responseEnd),
      request: {
        method: req.method(),
        url: req.url(),
        httpVersion: 'HTTP/1.1',
        cookies: requestCookies(header(reqHeaders, 'cookie')),
        headers: reqHeaders,
        queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
        ...(post ? { postData: { mimeType: reqType, text: post.toString('utf8') } } : {}),
        headersSize: -1,
        bodySize: post?.length ?? 0,
      },
      response: res ? await this.response(res) : failedResponse(req.failure()?.errorText),
      cache: {},
      timings: { send: 0, wait, receive },
      _resourceType: req.resourceType(),
    };
    return entry;
  }

  private async response(res: Response): Promise<HAREntry['response']> {
    const headers = await res.headersArray().catch(() => toHeaders(res.headers()));
    const mimeType = header(headers, 'content-type') ?? 'x-unknown';
    const redirect = res.status() >= 300 && res.status() < 400;
    const body = redirect ? undefined : await res.body().catch(() => undefined);
    const content: HAREntry['response']['content'] = { size: body?.length ?? 0, mimeType };
    if (body && TEXTUAL.test(mimeType) && body.length <= this.maxBody && this.bodyBytes + body.length <= this.maxTotal) {
      this.bodyBytes += body.length;
      content.text = body.toString('utf8');
    }
    return {
      status: res.status(),
      statusText: res.statusText(),
      httpVersion: 'HTTP/1.1',
      cookies: headers.filter((h) => h.name.toLowerCase() === 'set-cookie').flatMap((h) => h.value.split('\n')).map(setCookie),
      headers,
      content,
      redirectURL: header(headers, 'location') ?? '',
      headersSize: -1,
      bodySize: body?.length ?? -1,
    };
  }
}

function toHeaders(h: Record<string, string>): HARHeader[] {
  return Object.entries(h).map(([name, value]) => ({ name, value }));
}

function header(headers: HARHeader[], name: string): string | undefined {
  return headers.find((h) => h.name.toLowerCase() === name)?.value;
}

function failedResponse(errorText: string | undefined): HAREntry['response'] {
  return { status: 0, statusText: '', httpVersion: '', cookies: [], headers: [], content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '', headersSize: -1, bodySize: -1, _failureText: errorText ?? 'failed' };
}

function requestCookies(value: string | undefined): HARCookie[] {
  if (!value) return [];
  return value.split(/;\s*/).filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? { name: pair, value: '' } : { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
  });
}

function setCookie(line: string): HARCookie {
  const [pair = '', ...attrs] = line.split(/;\s*/);
  const eq = pair.indexOf('=');
  const c: HARCookie = eq < 0 ? { name: pair.trim(), value: '' } : { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1) };
  for (const a of attrs) {
    const i = a.indexOf('=');
    const k = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    const v = i < 0 ? '' : a.slice(i + 1).trim();
    if (k === 'path') c.path = v;
    else if (k === 'domain') c.domain = v;
    else if (k === 'expires') {
      const d = new Date(v);
      if (!Number.isNaN(d.getTime())) c.expires = d.toISOString();
    } else if (k === 'httponly') c.httpOnly = true;
    else if (k === 'secure') c.secure = true;
    else if (k === 'samesite') c.sameSite = v;
  }
  return c;
}
