/**
 * What the learner reads from HTML: hidden form fields, meta tags, the title and key/value pairs
 * of inline scripts. Regular expressions, not a DOM: bodies are scanned once each, and a 10,000
 * entry HAR must learn in seconds.
 */
const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITY[e.toLowerCase()] ?? m;
  });
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s"'<>\/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m: RegExpExecArray | null;
  re.lastIndex = /\s/.exec(tag)?.index ?? tag.length; // skip the tag name
  while ((m = re.exec(tag))) {
    const name = m[1]!.toLowerCase();
    if (!out.has(name)) out.set(name, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

export interface HtmlFacts {
  /** Form fields by name (first occurrence), all input types with a value. */
  inputs: Map<string, string>;
  /** `meta[name|property]` → content (first occurrence). */
  metas: Map<string, string>;
  title?: string;
}

export function readHtml(body: string): HtmlFacts {
  const inputs = new Map<string, string>();
  const metas = new Map<string, string>();
  const tagRe = /<(input|meta)\b[^>]*>/gi;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(body))) {
    const attrs = attributes(m[0]);
    if (m[1]!.toLowerCase() === 'input') {
      const name = attrs.get('name');
      const value = attrs.get('value');
      // What a password field holds is the person's, never the page's: not a source.
      if ((attrs.get('type') ?? '').toLowerCase() === 'password') continue;
      if (name && value !== undefined && !inputs.has(name)) inputs.set(name, value);
    } else {
      const name = attrs.get('name') ?? attrs.get('property') ?? attrs.get('http-equiv');
      const content = attrs.get('content');
      if (name && content !== undefined && !metas.has(name)) metas.set(name, content);
    }
  }
  const t = /<title[^>]*>([^<]*)<\/title>/i.exec(body);
  return { inputs, metas, title: t ? decodeEntities(t[1]!).trim() : undefined };
}

/** Regex source matching `"key": "value"` (JSON and JS object literals); group 1 is the raw value. */
export function jsonPairPattern(key: string): string {
  return `"${escapeRegex(key)}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`;
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&');
}

function unescapeJsonString(raw: string): string {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/**
 * `"key": "value"` pairs in a body text, first occurrence of each key only: the replayer takes
 * the first match of the pattern, so a later pair with the same key would extract another value.
 */
export function inlinePairs(body: string, max = 2000): Array<{ key: string; raw: string; value: string }> {
  const out: Array<{ key: string; raw: string; value: string }> = [];
  const seen = new Set<string>();
  const re = /"([\w$.:@-]{1,64})"\s*:\s*"((?:[^"\\\n]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body)) && out.length < max) {
    const key = m[1]!;
    if (seen.has(key)) continue;
    seen.add(key);
    if (m[2]!.length < 4 || m[2]!.length > 4096) continue;
    out.push({ key, raw: m[2]!, value: unescapeJsonString(m[2]!) });
  }
  return out;
}
