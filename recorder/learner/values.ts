import type { Generator } from '../../core/index.js';

/** Values too common to prove that one request took them from an earlier response. */
const COMMON = new Set([
  'true', 'false', 'null', 'none', 'undefined', 'yes', 'no', 'on', 'off', 'en', 'en-us', 'en_us', 'en-gb', 'utf-8', 'utf8',
  'json', 'html', 'text', 'xml', 'get', 'post', 'put', 'patch', 'delete', 'head', 'asc', 'desc', 'default', 'index', 'home',
  'search', 'page', 'true', 'false', 'enabled', 'disabled', 'active', 'inactive', 'public', 'private', 'user', 'users',
  'admin', 'guest', 'login', 'logout', 'submit', 'cancel', 'next', 'prev', 'previous', 'first', 'last', 'all', 'dark',
  'light', 'auto', 'same-origin', 'cors', 'navigate', 'document', 'empty', 'include', 'omit', 'items', 'item', 'data',
  'name', 'title', 'value', 'type', 'list', 'view', 'edit', 'create', 'update', 'save', 'open', 'close', 'today', 'mobile',
  'desktop', 'close', 'keep-alive', 'no-cache', 'max-age=0', 'pageview', 'event', 'click', 'success', 'error', 'ok',
]);

export function isTrivial(v: string): boolean {
  if (v.length < 4) return true;
  if (/^\d{1,4}$/.test(v)) return true;
  if (/^\d+(\.\d+)?$/.test(v) && v.length < 5) return true;
  const lower = v.toLowerCase();
  if (COMMON.has(lower)) return true;
  if (/^[a-z]+\/[a-z0-9.+-]+$/.test(lower)) return true; // a MIME type
  if (/^\s*$/.test(v)) return true;
  return false;
}

/** Path segments and URL parts count only when they look like ids, not like words. */
export function looksDynamic(v: string): boolean {
  if (isTrivial(v)) return false;
  return /\d/.test(v) || v.length >= 16;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NONCE_NAME = /(^|[_-])(nonce|state|rand|random|rnd|cb|cachebust(er)?|cache_?buster|_|t|ts|timestamp|time|request_?id|req_?id|trace_?id|correlation_?id)$/i;
const DAY_MS = 86_400_000;

/**
 * A value a client makes up on the spot: a time near the request's own time, a UUID, or a random
 * token under a name that says so. `key` is the parameter/field/header name.
 */
export function generatorFor(value: string, key: string, atMs: number): { generator: Generator; length?: number } | undefined {
  if (Number.isFinite(atMs)) {
    if (/^\d{13}$/.test(value) && Math.abs(Number(value) - atMs) < DAY_MS) return { generator: 'timestamp_ms' };
    if (/^\d{10}$/.test(value) && Math.abs(Number(value) * 1000 - atMs) < DAY_MS) return { generator: 'timestamp_s' };
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
      const t = Date.parse(value);
      if (Number.isFinite(t) && Math.abs(t - atMs) < DAY_MS) return { generator: 'iso_date' };
    }
  }
  if (UUID.test(value)) return { generator: 'uuid' };
  const bare = key.replace(/^.*[.\[\]]/, '');
  if (NONCE_NAME.test(bare) && /^[A-Za-z0-9_-]{6,128}$/.test(value) && !/^\d{1,9}$/.test(value)) return { generator: 'nonce', length: value.length };
  return undefined;
}

export function snakeCase(raw: string): string {
  const s = raw
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  if (!s) return 'value';
  return /^\d/.test(s) ? `v_${s}` : s;
}

/** Base64 text that decodes to printable UTF-8 (a `Basic` credential, an encoded token). */
export function decodeBase64Text(v: string): string | undefined {
  if (v.length < 8 || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return undefined;
  const out = Buffer.from(v, 'base64').toString('utf8');
  return /^[\x20-\x7e]{4,}$/.test(out) ? out : undefined;
}

/** The last name in a key: `$.a.b[0].title` → `title`, `X-Token` → `X-Token`. */
export function lastKey(key: string): string {
  const m = /(?:^|\.|\[")([^.[\]"]+)"?\]?(?:\[\d+\])*$/.exec(key);
  return m?.[1] ?? key;
}

/**
 * What sanitisers put where a value was: `[REDACTED]` (ours and many tools'), `***`, `xxx`,
 * `<hidden>`, `{{secret}}`… Never a value: not a source, not a target.
 */
const PLACEHOLDER = /^(?:[[(<{]{1,2}\s*)?(?:redacted|filtered|removed|hidden|masked|sanitized|sanitised|censored|secret|private|omitted|scrubbed|obfuscated|elided|stripped)(?:\s*[\])>}]{1,2})?$/i;
export function isPlaceholder(v: string): boolean {
  const s = v.trim();
  if (s.length === 0 || s.length > 40) return false;
  if (/^(?:\*{3,}|x{3,}|X{3,}|#{3,}|•{3,}|\.{3,}|…)$/.test(s)) return true;
  return PLACEHOLDER.test(s);
}
