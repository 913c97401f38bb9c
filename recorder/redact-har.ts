import { REDACTED, isSecretHeader, isSecretName, type Action, type HARFile, type HARHeader, type HARPostData } from '../core/index.js';

export interface RedactHarOptions {
  /** The recording's action log: values typed into secret fields are scrubbed wherever they occur. */
  actions?: Action[];
  /** More values to scrub wherever they occur. */
  secrets?: string[];
}

/**
 * Values shorter than this are only redacted where they are named as secrets, not searched for
 * everywhere: replacing "1" or "dark" (a theme cookie) across a whole HAR would wreck it. Values
 * known to be secret (typed into a password field, passed in `secrets`) are searched from 3 chars.
 */
const MIN_FOUND_LENGTH = 8;
const MIN_KNOWN_LENGTH = 3;
const TEXTUAL = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript|ld\+json|graphql)|[^;]*\+(json|xml))/i;

/**
 * A deep copy of the HAR fit for storage: values of secret headers (Authorization, Cookie,
 * Set-Cookie, …), cookies, secret-named query parameters and form/JSON fields, and secret typed
 * values are replaced by `[REDACTED]`; names, order and structure stay as they were. Every secret
 * value found is then also scrubbed from every other string (bodies, URLs, redirects, base64
 * text bodies), so a session id echoed in a page or a password in a JSON body does not survive.
 */
export function redactHar(har: HARFile, opts: RedactHarOptions = {}): HARFile {
  const copy = JSON.parse(JSON.stringify(har)) as HARFile;
  const known = new Set<string>(opts.secrets ?? []);
  for (const a of opts.actions ?? []) if (a.secret && a.value && a.value !== REDACTED) known.add(a.value);
  const found = new Set<string>();

  for (const e of copy.log.entries ?? []) {
    const req = e.request;
    const res = e.response;
    if (req) {
      req.headers = redactHeaders(req.headers, found);
      req.cookies = (req.cookies ?? []).map((c) => (keep(found, c.value), { ...c, value: REDACTED }));
      req.queryString = (req.queryString ?? []).map((q) => (isSecretName(q.name) ? (keep(found, q.value), { ...q, value: REDACTED }) : q));
      if (req.postData) redactPostData(req.postData, found);
      req.url = redactUrl(req.url, found);
    }
    if (res) {
      res.headers = redactHeaders(res.headers, found);
      res.cookies = (res.cookies ?? []).map((c) => (keep(found, c.value), { ...c, value: REDACTED }));
      if (res.content?.text && TEXTUAL.test(res.content.mimeType ?? '') && res.content.encoding !== 'base64') {
        res.content.text = redactJsonText(res.content.text, found);
      }
    }
  }
  return scrubAll(copy, [...known].filter((v) => v.length >= MIN_KNOWN_LENGTH).concat([...found].filter((v) => v.length >= MIN_FOUND_LENGTH)));
}

/** The action log fit for storage: values typed into secret fields become `[REDACTED]`. */
export function redactActions(actions: Action[]): Action[] {
  return actions.map((a) => (a.secret && a.value !== undefined ? { ...a, value: REDACTED } : { ...a }));
}

function keep(found: Set<string>, v: string | undefined): void {
  if (v && v !== REDACTED) found.add(v);
}

function redactHeaders(headers: HARHeader[] | undefined, found: Set<string>): HARHeader[] {
  return (headers ?? []).map((h) => {
    const name = (h.name ?? '').toLowerCase();
    if (name === 'cookie') return { ...h, value: redactCookiePairs(h.value, found) };
    if (name === 'set-cookie') return { ...h, value: h.value.split('\n').map((line) => redactSetCookie(line, found)).join('\n') };
    if (name === 'authorization' || name === 'proxy-authorization') {
      const m = /^(\S+)\s+(.+)$/.exec(h.value ?? '');
      keep(found, m ? m[2] : h.value);
      return { ...h, value: m ? `${m[1]} ${REDACTED}` : REDACTED };
    }
    if (isSecretHeader(name) || isSecretName(name)) {
      keep(found, h.value);
      return { ...h, value: REDACTED };
    }
    return h;
  });
}

function redactCookiePairs(value: string, found: Set<string>): string {
  return (value ?? '')
    .split(';')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      keep(found, pair.slice(eq + 1).trim());
      return `${pair.slice(0, eq + 1)}${REDACTED}`;
    })
    .join(';');
}

function redactSetCookie(line: string, found: Set<string>): string {
  const semi = line.indexOf(';');
  const first = semi < 0 ? line : line.slice(0, semi);
  const eq = first.indexOf('=');
  if (eq < 0) return line;
  keep(found, first.slice(eq + 1).trim());
  return `${first.slice(0, eq + 1)}${REDACTED}${semi < 0 ? '' : line.slice(semi)}`;
}

function redactPostData(p: HARPostData, found: Set<string>): void {
  if (p.params) p.params = p.params.map((x) => (isSecretName(x.name) && x.value !== undefined ? (keep(found, x.value), { ...x, value: REDACTED }) : x));
  if (!p.text) return;
  const mime = (p.mimeType ?? '').toLowerCase();
  if (mime.includes('multipart/form-data')) {
    // Each part: headers naming the field, a blank line, the value, then the next boundary.
    p.text = p.text.replace(/(name="([^"]*)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n)([\s\S]*?)(\r?\n--)/g, (all, head: string, name: string, value: string, tail: string) => {
      if (!isSecretName(name) || /filename="/.test(head)) return all;
      keep(found, value);
      return `${head}${REDACTED}${tail}`;
    });
  } else if (mime.includes('x-www-form-urlencoded') || (!mime.includes('json') && /^[^{[<\s][^\s]*=/.test(p.text))) {
    p.text = p.text
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0) return pair;
        let name = pair.slice(0, eq);
        try {
          name = decodeURIComponent(name.replace(/\+/g, ' '));
        } catch {
          /* keep the raw name */
        }
        if (!isSecretName(name)) return pair;
        keep(found, formDecode(pair.slice(eq + 1)));
        return `${pair.slice(0, eq + 1)}${encodeURIComponent(REDACTED)}`;
      })
      .join('&');
  } else {
    p.text = redactJsonText(p.text, found);
  }
}

/** Secret-named keys of a JSON body, at any depth; a body that is not JSON is left to scrubAll. */
function redactJsonText(text: string, found: Set<string>): string {
  const t = text.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return text;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return text;
  }
  let changed = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (depth > 50 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (isSecretName(k) && (typeof x === 'string' || typeof x === 'number')) {
        keep(found, String(x));
        out[k] = REDACTED;
        changed = true;
      } else out[k] = walk(x, depth + 1);
    }
    return out;
  };
  const red = walk(data, 0);
  return changed ? JSON.stringify(red) : text;
}

/** Bearer tokens in JWT form, wherever they sit in a URL (path segments included). */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

function redactUrl(url: string, found: Set<string>): string {
  for (const m of url.match(JWT) ?? []) keep(found, m);
  let u: URL;
  try {
    u = new URL(url.replace(JWT, REDACTED));
  } catch {
    return url.replace(JWT, REDACTED);
  }
  if (u.username || u.password) {
    keep(found, u.password);
    u.password = u.password ? REDACTED : '';
  }
  // Rewrite query and fragment (OAuth's #access_token=…) by hand so that the other parameters
  // keep their exact encoding.
  u.search = redactPairs(u.search, found);
  u.hash = redactPairs(u.hash, found);
  return u.toString();
}

function redactPairs(part: string, found: Set<string>): string {
  if (part.length < 2 || !part.includes('=')) return part;
  const out = part
    .slice(1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0 || !isSecretName(formDecode(pair.slice(0, eq)))) return pair;
      keep(found, formDecode(pair.slice(eq + 1)));
      return `${pair.slice(0, eq + 1)}${encodeURIComponent(REDACTED)}`;
    })
    .join('&');
  return `${part[0]}${out}`;
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces every found secret (as is, percent-encoded, form-encoded) in every string of the HAR. */
function scrubAll(har: HARFile, values: string[]): HARFile {
  // Each form a value may take in a HAR, and what replaces it in that form.
  const variants = new Map<string, string>();
  for (const v of values) {
    if (v === REDACTED) continue;
    variants.set(encodeURIComponent(v), encodeURIComponent(REDACTED));
    variants.set(encodeURIComponent(v).replace(/%20/g, '+'), encodeURIComponent(REDACTED));
    variants.set(JSON.stringify(v).slice(1, -1), REDACTED);
    variants.set(v, REDACTED);
  }
  if (variants.size === 0) return har;
  // Longest first so that an encoded form is not half-replaced by a shorter one.
  const re = new RegExp([...variants.keys()].sort((a, b) => b.length - a.length).map(escapeRe).join('|'), 'g');
  const fix = (s: string) => (re.test(s) ? ((re.lastIndex = 0), s.replace(re, (m) => variants.get(m) ?? REDACTED)) : s);
  const stack: unknown[] = [har];
  while (stack.length) {
    const node = stack.pop() as Record<string, unknown> | unknown[];
    const keys = Array.isArray(node) ? node.keys() : Object.keys(node);
    for (const k of keys as Iterable<string | number>) {
      const v = (node as Record<string | number, unknown>)[k];
      if (typeof v === 'string') {
        re.lastIndex = 0;
        (node as Record<string | number, unknown>)[k] = fix(v);
      } else if (v && typeof v === 'object') stack.push(v);
    }
    // Base64 text bodies: decode, scrub, re-encode.
    if (!Array.isArray(node) && node.encoding === 'base64' && typeof node.text === 'string' && TEXTUAL.test(String(node.mimeType ?? ''))) {
      const plain = Buffer.from(node.text, 'base64').toString('utf8');
      re.lastIndex = 0;
      const scrubbed = fix(plain);
      if (scrubbed !== plain) node.text = Buffer.from(scrubbed, 'utf8').toString('base64');
    }
  }
  return har;
}
