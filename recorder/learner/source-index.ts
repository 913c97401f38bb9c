import { readHtml, type Extractor } from '../../core/index.js';
import type { Chain } from './chains.js';
import { isTextual } from './exchange.js';
import { inlinePairs, jsonPairPattern } from './inline-pairs.js';
import { isPlaceholder, isTrivial, lastKey, looksDynamic, snakeCase } from './values.js';

/** One place an earlier response offers a value. */
export interface SourceRef {
  chain: number;
  extractor: Extractor;
  /** Lower wins when one response offers the same value in several places. */
  rank: number;
}

const RANK: Record<Extractor['type'], number> = { json: 0, html_input: 1, html_meta: 2, header: 3, set_cookie: 4, location: 5, url: 6, regex: 7 };

/** Response headers that never carry a value a later request echoes. */
const BORING_HEADERS = new Set([
  'date', 'expires', 'last-modified', 'content-type', 'content-length', 'content-encoding', 'content-language',
  'cache-control', 'pragma', 'server', 'vary', 'connection', 'keep-alive', 'accept-ranges', 'age', 'via',
  'strict-transport-security', 'x-xss-protection', 'x-frame-options', 'x-content-type-options', 'content-security-policy',
  'content-security-policy-report-only', 'referrer-policy', 'transfer-encoding', 'alt-svc', 'nel', 'report-to',
  'permissions-policy', 'cross-origin-opener-policy', 'cross-origin-embedder-policy', 'cross-origin-resource-policy',
  'access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers',
  'access-control-allow-credentials', 'access-control-max-age', 'set-cookie', 'location', 'link', 'p3p', 'timing-allow-origin',
  'x-powered-by', 'content-disposition', 'retry-after', 'x-cache', 'x-cache-hits', 'x-served-by', 'x-timer',
]);

const MAX_LEAVES = 5000;
const CSRF_NAME = /csrf|xsrf|authenticity_token|request_?verification_?token/;
const TOKEN_FIELD = /^(access_?token|id_?token|auth_?token|token|jwt|bearer)$/;

function fieldName(e: Extractor): string | undefined {
  switch (e.type) {
    case 'html_input':
    case 'html_meta':
    case 'set_cookie':
    case 'header':
      return snakeCase(e.name);
    case 'json':
      return snakeCase(lastKey(e.path));
    default:
      return undefined;
  }
}

function jsonPathKey(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Value → every place an earlier response offered it, in chain order. Built once, in one pass
 * over the responses; a request value then costs one map lookup and a binary search, whatever the
 * size of the HAR.
 */
export class SourceIndex {
  private readonly map = new Map<string, SourceRef[]>();
  /** Field name (snake_case) → places offering a field of that name, whatever its value: for placeholders. */
  private readonly names = new Map<string, SourceRef[]>();
  /** Short numbers (`5`, an auto-draft's id) by value: too common to trace by value alone, traced with a fitting name. */
  private readonly shortNumbers = new Map<string, Array<{ ref: SourceRef; name: string }>>();
  /** Chains that are pages the browser navigated to, and what they offer (preferred sources). */
  private readonly documents = new Set<number>();
  private readonly docMap = new Map<string, SourceRef[]>();

  add(value: string, chain: number, extractor: Extractor): void {
    const name = value === '' ? undefined : fieldName(extractor);
    if (name !== undefined) {
      const list = this.names.get(name);
      const ref = { chain, extractor, rank: RANK[extractor.type] };
      if (!list) this.names.set(name, [ref]);
      else if (list[list.length - 1]!.chain !== chain || list[list.length - 1]!.rank > ref.rank) list.push(ref);
    }
    if (name !== undefined && /^\d{1,4}$/.test(value) && value !== '0') {
      const list = this.shortNumbers.get(value) ?? [];
      list.push({ ref: { chain, extractor, rank: RANK[extractor.type] }, name: name.replace(/_/g, '') });
      this.shortNumbers.set(value, list);
    }
    if (value.length > 4096 || isTrivial(value) || isPlaceholder(value)) return;
    const ref = { chain, extractor, rank: RANK[extractor.type] };
    const list = this.map.get(value);
    if (!list) this.map.set(value, [ref]);
    else list.push(ref);
    if (this.documents.has(chain)) {
      const docs = this.docMap.get(value);
      if (!docs) this.docMap.set(value, [ref]);
      else docs.push(ref);
    }
  }

  /**
   * The nearest earlier source of `value` for a request of chain `before`; a page the browser
   * navigated to is preferred over later background calls offering the same value (a per-session
   * token that every XHR echoes would otherwise chain each call to the one before it).
   */
  find(value: string, before: number): SourceRef | undefined {
    return nearest(this.docMap.get(value), before) ?? nearest(this.map.get(value), before);
  }

  /**
   * The nearest earlier place offering a field named like `key` (hidden input, meta tag, cookie,
   * JSON key), for a value a sanitiser replaced: the name is all that is left to go by.
   */
  findByName(key: string, before: number, accept?: (ref: SourceRef) => boolean): SourceRef | undefined {
    const name = snakeCase(key);
    const nearest = (list: SourceRef[] | undefined): SourceRef | undefined => {
      if (list) for (let i = list.length - 1; i >= 0; i--) if (list[i]!.chain < before && (!accept || accept(list[i]!))) return list[i];
      return undefined;
    };
    const hit = nearest(this.names.get(name)) ?? nearest(this.names.get(name.replace(/^x_/, '')));
    if (hit || !CSRF_NAME.test(name)) return hit;
    // `X-CSRF-Token` sends what `<meta name="csrf-token">` or `<input name="_csrf">` offered.
    let best: SourceRef | undefined;
    for (const [n, list] of this.names) {
      if (!CSRF_NAME.test(n)) continue;
      const r = nearest(list);
      if (r && (!best || r.chain > best.chain || (r.chain === best.chain && r.rank < best.rank))) best = r;
    }
    return best;
  }

  /**
   * A short number (`5`) from the nearest earlier response that offers it under a name that fits
   * `names` (flattened: `postid` fits the body field `id` and the path `/posts/5`). Exact names
   * first, then names ending in one of them.
   */
  findShortNumber(value: string, names: string[], before: number): SourceRef | undefined {
    const list = this.shortNumbers.get(value);
    if (!list || !names.length) return undefined;
    for (const loose of [false, true]) {
      for (let i = list.length - 1; i >= 0; i--) {
        const e = list[i]!;
        if (e.ref.chain >= before) continue;
        if (names.some((n) => e.name === n || (loose && n.length >= 2 && e.name.endsWith(n)))) return e.ref;
      }
    }
    return undefined;
  }

  /** The nearest earlier JSON field whose name says it is an access token (a login API's answer). */
  findTokenField(before: number): SourceRef | undefined {
    let best: SourceRef | undefined;
    for (const [name, list] of this.names) {
      if (!TOKEN_FIELD.test(name)) continue;
      for (const ref of list) if (ref.extractor.type === 'json' && ref.chain < before && (!best || ref.chain > best.chain)) best = ref;
    }
    return best;
  }

  /** Indexes everything a chain's responses offer. */
  addChain(c: Chain): void {
    const pos = c.pos;
    if (c.head.resourceType === 'document' || (c.head.resourceType === '' && c.head.method === 'GET' && c.final.mime.includes('html'))) this.documents.add(pos);
    const final = c.final;
    for (const h of final.resHeaders) {
      const name = h.name.toLowerCase();
      if (!BORING_HEADERS.has(name) && !name.startsWith(':')) this.add(h.value, pos, { type: 'header', name });
    }
    for (const ex of [c.head, ...c.hops]) {
      for (const ck of ex.setCookies) {
        this.add(ck.value, pos, { type: 'set_cookie', name: ck.name });
        const unq = /^"(.*)"$/.exec(ck.value);
        if (unq) this.add(unq[1]!, pos, { type: 'set_cookie', name: ck.name });
      }
    }
    if (final.location) this.addUrl(final.location, pos, 'location');
    if (final.url) this.addUrl(final.url.href, pos, 'url');
    const body = final.body;
    if (!body || final.status === 304) return;
    if (final.mime.includes('json') || /^\s*[{[]/.test(body.slice(0, 64))) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined && typeof parsed === 'object') {
        this.addJson(parsed, '$', pos, { n: 0 });
        return;
      }
    }
    if (final.mime.includes('html')) {
      const facts = readHtml(body);
      for (const [name, field] of facts.fields) {
        // What a password field holds is the person's, never the page's: not a source.
        if (field.type !== 'password') this.add(field.value, pos, { type: 'html_input', name });
      }
      for (const [name, value] of facts.metas) this.add(value, pos, { type: 'html_meta', name });
    }
    if (final.mime.includes('html') || isTextual(final.mime) || final.mime === '') {
      for (const p of inlinePairs(body)) this.add(p.value, pos, { type: 'regex', pattern: jsonPairPattern(p.key), group: 1 });
    }
  }

  private addUrl(href: string, pos: number, type: 'location' | 'url'): void {
    let u: URL;
    try {
      u = new URL(href);
    } catch {
      return;
    }
    if (type === 'location') this.add(href, pos, { type });
    u.searchParams.forEach((value, param) => this.add(value, pos, { type, param }));
    u.pathname.split('/').slice(1).forEach((seg, segment) => {
      let v = seg;
      try {
        v = decodeURIComponent(seg);
      } catch {
        /* keep raw */
      }
      if (looksDynamic(v)) this.add(v, pos, { type, segment });
    });
  }

  private addJson(node: unknown, path: string, pos: number, budget: { n: number }): void {
    if (budget.n >= MAX_LEAVES) return;
    if (Array.isArray(node)) {
      const n = Math.min(node.length, 500);
      for (let i = 0; i < n; i++) this.addJson(node[i], `${path}[${i}]`, pos, budget);
      return;
    }
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node as Record<string, unknown>)) this.addJson(v, jsonPathKey(path, k), pos, budget);
      return;
    }
    budget.n++;
    if (typeof node === 'string') this.add(node, pos, { type: 'json', path });
    else if (typeof node === 'number' && Number.isInteger(node)) this.add(String(node), pos, { type: 'json', path });
  }
}

/** In a list in chain order: the best-ranked ref of the last chain before `before`. */
function nearest(list: SourceRef[] | undefined, before: number): SourceRef | undefined {
  if (!list) return undefined;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.chain < before) lo = mid + 1;
    else hi = mid;
  }
  if (lo === 0) return undefined;
  const chain = list[lo - 1]!.chain;
  let best = list[lo - 1]!;
  for (let i = lo - 2; i >= 0 && list[i]!.chain === chain; i--) if (list[i]!.rank <= best.rank) best = list[i]!;
  return best;
}
