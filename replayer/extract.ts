import { readHtml, type Extractor, type HtmlFacts } from '../core/index.js';
import { header, type HttpResponse } from './http-client.js';
import { jsonPathGet } from './json-path.js';
import type { RunJar } from './run-jar.js';

/** A response seen through the views extractors and break detection need, each built once. */
export class ResponseView {
  private textCache?: string;
  private jsonCache?: { value: unknown; ok: boolean };
  private htmlCache?: HtmlFacts;

  constructor(readonly res: HttpResponse) {}

  get text(): string {
    return (this.textCache ??= this.res.body.toString('utf8'));
  }

  /** The parsed JSON body; ok false when the body is not JSON. */
  get json(): { value: unknown; ok: boolean } {
    if (!this.jsonCache) {
      try {
        this.jsonCache = { value: JSON.parse(this.text), ok: true };
      } catch {
        this.jsonCache = { value: undefined, ok: false };
      }
    }
    return this.jsonCache;
  }

  /** Form fields and meta tags, read as the learner read them (core's readHtml). */
  get html(): HtmlFacts {
    return (this.htmlCache ??= readHtml(this.text));
  }

  get isJsonType(): boolean {
    return isJsonMime(this.res.contentType);
  }
}

export function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || mime.endsWith('+json') || mime === 'text/json';
}

/**
 * Applies a learned Extractor to a step's response. Undefined when the value is not there.
 * `jar` backs set_cookie up: a site need not set again a cookie the request already carried.
 */
export function extract(ex: Extractor, view: ResponseView, jar?: RunJar): unknown {
  const res = view.res;
  switch (ex.type) {
    case 'json': {
      const j = view.json;
      return j.ok ? jsonPathGet(j.value, ex.path) : undefined;
    }
    case 'header':
      return header(res.headers, ex.name.toLowerCase());
    case 'set_cookie': {
      const v = res.setCookies.get(ex.name);
      if (v !== undefined || !jar) return v;
      return jar.value(res.url, ex.name);
    }
    case 'html_input':
      return view.html.fields.get(ex.name)?.value;
    case 'html_meta':
      return view.html.metas.get(ex.name);
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(ex.pattern);
      } catch {
        return undefined;
      }
      return re.exec(view.text)?.[ex.group ?? 0];
    }
    case 'location': {
      // Hops are collapsed into the step: the first Location that holds the wanted part.
      for (const loc of res.locations) {
        const v = urlPart(loc, res.url, ex);
        if (v !== undefined) return v;
      }
      return undefined;
    }
    case 'url':
      return urlPart(res.url, res.url, ex);
    default:
      return undefined;
  }
}

/** Whole URL as given, one query parameter, or one (0-based) path segment. */
export function urlPart(raw: string, base: string, ex: { param?: string; segment?: number }): string | undefined {
  if (ex.param === undefined && ex.segment === undefined) return raw;
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (ex.param !== undefined) return u.searchParams.get(ex.param) ?? undefined;
  const segs = u.pathname.split('/').filter(Boolean);
  const seg = segs[ex.segment!];
  return seg === undefined ? undefined : safeDecode(seg);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
