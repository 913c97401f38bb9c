import { isSecretHeader, isSecretName } from '../../core/index.js';
import type { Resolution, Slot } from './request-model.js';
import type { SourceIndex } from './source-index.js';
import { decodeBase64Text, generatorFor, isPlaceholder, isTrivial, lastKey, looksDynamic, snakeCase } from './values.js';

/** A value the person typed while recording, from the action log. */
export interface Typed {
  input: string;
  value: string;
  secret: boolean;
  /** Where it was typed (a selector), to tell short values apart. */
  selector?: string;
}

/** A short typed value ("2", "en") only counts where the field's name matches the parameter's. */
function typedFits(t: Typed, s: Slot): boolean {
  if (t.value.length >= 4) return true;
  const key = lastKey(s.key);
  const flat = (x: string) => snakeCase(x).replace(/_/g, '');
  return flat(key) === flat(t.input) || (!!t.selector && t.selector.toLowerCase().includes(key.toLowerCase()));
}

/** Request headers whose values belong to the browser, not to the workflow. */
const BROWSER_HEADERS = /^(accept|accept-language|user-agent|content-type|origin|referer|cache-control|pragma|dnt|sec-.*|x-requested-with|upgrade-insecure-requests|purpose|save-data|viewport-width|dpr|device-memory|downlink|ect|rtt)$/i;
const AUTH_PREFIX = /^(Bearer|Token|JWT|Basic|Digest|OAuth|MAC)\s+(.+)$/i;

/** Whether the place itself says "secret": an auth or CSRF header, a password or token field. */
export function isSecretSlot(s: Slot): boolean {
  if (s.where === 'path') return false;
  // `password_min_length=8`, `remember_password=on`: a setting about secrets, not one.
  if (/^(\d{1,4}|true|false|on|off|yes|no|0|1)$/i.test(s.value)) return false;
  if (s.where === 'header') return isSecretHeader(s.key) || isSecretName(s.key);
  return isSecretName(lastKey(s.key));
}

/** Tries the value as it is, then decoded forms of it (auth prefix, quotes, URL, base64). */
function trace(value: string, before: number, index: SourceIndex): Resolution | undefined {
  const direct = index.find(value, before);
  if (direct) return { kind: 'extract', ref: direct, value };
  const pre = AUTH_PREFIX.exec(value);
  if (pre) {
    const ref = index.find(pre[2]!, before);
    if (ref) return { kind: 'extract', ref, value: pre[2]!, prefix: `${pre[1]} ` };
    const dec = decodeBase64Text(pre[2]!);
    const r2 = dec ? index.find(dec, before) : undefined;
    if (r2) return { kind: 'extract', ref: r2, value: dec!, prefix: `${pre[1]} `, transform: { encoding: 'base64' } };
  }
  const unq = /^"(.{4,})"$/.exec(value);
  if (unq) {
    const ref = index.find(unq[1]!, before);
    if (ref) return { kind: 'extract', ref, value: unq[1]!, transform: { prefix: '"', suffix: '"' } };
  }
  if (/%[0-9a-f]{2}/i.test(value)) {
    try {
      const decoded = decodeURIComponent(value);
      const ref = index.find(decoded, before);
      if (ref) return { kind: 'extract', ref, value: decoded, transform: { encoding: 'url' } };
    } catch {
      /* not URL-encoded after all */
    }
  }
  const dec = decodeBase64Text(value);
  if (dec) {
    const ref = index.find(dec, before);
    if (ref) return { kind: 'extract', ref, value: dec, transform: { encoding: 'base64' } };
  }
  return undefined;
}

/**
 * Explains one value of the request of chain `pos`, in order of trust: typed by the person,
 * taken from the nearest earlier response, made up by the client, and otherwise an input (query
 * and bodies), a secret input (auth and tokens) or a literal (other headers and path segments).
 */
/** What the action log says about values nothing traces. */
export interface ResolveContext {
  typed: Typed[];
  /** The recording has an action log: values the person did not type or navigate to are the app's constants. */
  hasActions: boolean;
  /** Query values and path segments of the URLs the person navigated to (typed into the address bar). */
  navigated: Set<string>;
}

export function resolveSlot(s: Slot, pos: number, atMs: number, ctx: ResolveContext, index: SourceIndex): Resolution {
  const typed = ctx.typed;
  const v = s.value;
  if (v === '') return { kind: 'literal' };
  // The browser's own headers (Referer, Origin…) are never the workflow's, whatever they contain.
  if (s.where === 'header' && BROWSER_HEADERS.test(s.key)) return { kind: 'literal' };
  const redacted = placeholderSlot(s, pos, index);
  if (redacted) return redacted;
  for (const t of typed) if (t.value === v && typedFits(t, s)) return { kind: 'typed', input: t.input, whole: true };
  if (s.where !== 'path' && (s.jsonType ?? 'string') === 'string') {
    for (const t of typed) if (t.value.length >= 4 && containsWord(v, t.value)) return { kind: 'typed', input: t.input, whole: false };
  }
  const secret = isSecretSlot(s);
  // Untraced and not secret: an input only where it can vary between uses (an upload without an
  // action log cannot tell; with one, only what the person typed or navigated to varies).
  const varies = !ctx.hasActions || ctx.navigated.has(v);
  const freeKind: Resolution = secret && s.where !== 'path' ? { kind: 'secret' } : s.where === 'header' || s.where === 'path' ? { kind: 'literal' } : varies ? { kind: 'free' } : constantKind(s);
  if (s.where === 'header' && BROWSER_HEADERS.test(s.key)) return { kind: 'literal' };
  if (/^\d{1,4}$/.test(v) && s.where !== 'header') {
    const ref = index.findShortNumber(v, idNames(s), pos);
    if (ref) return { kind: 'extract', ref, value: v };
  }
  if (s.where === 'path' ? !looksDynamic(v) : isTrivial(v)) return secret || s.where === 'header' || s.where === 'path' ? freeKind : constantKind(s);
  const traced = trace(v, pos, index);
  if (traced) return traced;
  if (!secret) {
    const gen = generatorFor(v, s.key, atMs);
    if (gen) return { kind: 'generated', source: { kind: 'generated', ...gen } };
  }
  return freeKind;
}

/**
 * A sanitiser's placeholder is never a value. What is left to go by is the name: a field of the
 * same name in an earlier response (a hidden CSRF input whose value was redacted too), a token in
 * a login API's JSON for a redacted bearer; otherwise the caller must supply it.
 */
function placeholderSlot(s: Slot, pos: number, index: SourceIndex): Resolution | undefined {
  const pre = AUTH_PREFIX.exec(s.value);
  if (!isPlaceholder(pre ? pre[2]! : s.value)) return undefined;
  if (s.where === 'header' && BROWSER_HEADERS.test(s.key)) return { kind: 'literal' };
  if (pre) {
    const ref = index.findTokenField(pos);
    return ref ? { kind: 'extract', ref, value: '', prefix: `${pre[1]} ` } : { kind: 'redacted' };
  }
  if (s.where !== 'path') {
    // A cookie of that name is the session's, carried by the jar: not a value to template.
    const ref = index.findByName(lastKey(s.key), pos, (r) => r.extractor.type !== 'set_cookie' || s.where === 'header');
    if (ref) return { kind: 'extract', ref, value: '' };
  }
  return { kind: 'redacted' };
}

/** A JSON number or boolean stays in the template as it is (a constant variable would make it a string). */
function constantKind(s: Slot): Resolution {
  return (s.jsonType ?? 'string') === 'string' ? { kind: 'constant' } : { kind: 'literal' };
}

const IDENT = /[A-Za-z0-9_-]/;

/**
 * `text` holds `part` as a piece of its own (a typed title inside a query, a name inside a
 * sentence), not as part of a longer identifier: `rf_pma` is not in `rf_pma_data`, `admin` not in `/wp-admin/`.
 */
function containsWord(text: string, part: string): boolean {
  for (let at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
    const before = at > 0 ? text[at - 1]! : '';
    const after = text[at + part.length] ?? '';
    const edgeOk = (c: string, inner: string) => c === '' || !IDENT.test(c) || !IDENT.test(inner);
    if (edgeOk(before, part[0]!) && edgeOk(after, part[part.length - 1]!)) return true;
  }
  return false;
}

/** Names a short number in this place would have in a response: `id`/`post_id` for `/posts/5`, the field's own name otherwise. */
function idNames(s: Slot): string[] {
  const flat = (x: string) => snakeCase(x).replace(/_/g, '');
  if (s.where === 'path') {
    if (!s.after || /^\d+$/.test(s.after) || s.after.length < 2) return [];
    const thing = flat(s.after).replace(/(ies)$/, 'y').replace(/s$/, '');
    return [`${thing}id`, 'id'];
  }
  const k = flat(lastKey(s.key));
  return k.endsWith('id') || k === 'id' ? [k, 'id'] : [k];
}
