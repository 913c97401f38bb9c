import type { ValueSource, Variable } from '../../core/index.js';
import { header, mimeOf, type Exchange } from './exchange.js';
import type { SourceRef } from './source-index.js';

/** Where in a request a value sits. */
export type SlotWhere = 'path' | 'query' | 'header' | 'json' | 'form' | 'multipart';

/** How the learner explains a value. */
export type Resolution =
  | { kind: 'literal' }
  /** A typed value (action log); `whole` false when it is part of a longer string. */
  | { kind: 'typed'; input: string; whole: boolean }
  /** A value nothing explains: an input named after its parameter. */
  | { kind: 'free' }
  /** A secret nothing explains: a secret input with a sealed default. */
  | { kind: 'secret' }
  /** An app constant (a fixed `do=edit`, `rev=0`, a submit button's value): a listed constant, promotable to an input. */
  | { kind: 'constant' }
  /** A placeholder a sanitiser left where a value was: a required input with no default. */
  | { kind: 'redacted' }
  /** `value` is what the source offered (before `transform`, without `prefix`). */
  | { kind: 'extract'; ref: SourceRef; value: string; prefix?: string; transform?: Variable['transform'] }
  | { kind: 'generated'; source: Extract<ValueSource, { kind: 'generated' }> };

export interface Slot {
  where: SlotWhere;
  /** Parameter, header or field name; JSON path; or the segment index. */
  key: string;
  /** Decoded value as the request carried it. */
  value: string;
  jsonType?: 'string' | 'number' | 'boolean';
  /** Path slots: the segment before (`posts` for `/posts/5`), which names what an id is of. */
  after?: string;
  res: Resolution;
}

export type BodyModel =
  | { kind: 'json'; mimeType: string; tree: unknown; slots: Map<string, Slot> }
  | { kind: 'form'; mimeType: string; fields: Slot[] }
  | { kind: 'multipart'; mimeType: string; fields: Array<{ slot: Slot; fileName?: string; contentType?: string }> }
  | { kind: 'text'; mimeType: string; text: string }
  | { kind: 'binary'; mimeType: string; base64: string };

export interface RequestModel {
  method: string;
  origin: string;
  /** Raw (still encoded) path segments; a slot where a segment looked dynamic. */
  path: Array<{ raw: string; slot?: Slot }>;
  query: Array<{ raw: string; rawName: string; slot: Slot }>;
  headers: Array<{ name: string; slot: Slot }>;
  body?: BodyModel;
}

/** Headers the replayer's client sets itself, or that would make a replay differ from a fresh request. */
const DROP_HEADERS = new Set([
  'cookie', 'host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection',
  'accept-encoding', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range', 'expect',
  'http2-settings', 'priority',
]);

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

const slot = (where: SlotWhere, key: string, value: string, jsonType?: Slot['jsonType']): Slot => ({ where, key, value, jsonType, res: { kind: 'literal' } });

function jsonSlots(node: unknown, path: string, out: Map<string, Slot>): void {
  if (out.size >= 2000) return;
  if (Array.isArray(node)) node.forEach((v, i) => jsonSlots(v, `${path}[${i}]`, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      jsonSlots(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, out);
    }
  } else if (typeof node === 'string') out.set(path, slot('json', path, node, 'string'));
  else if (typeof node === 'number' || typeof node === 'boolean') out.set(path, slot('json', path, String(node), typeof node as 'number' | 'boolean'));
}

function multipartFields(text: string, mime: string): Array<{ slot: Slot; fileName?: string; contentType?: string }> {
  const b = /boundary=("?)([^";]+)\1/i.exec(mime)?.[2] ?? /^--([^\r\n]+)/.exec(text)?.[1];
  if (!b) return [];
  const out: Array<{ slot: Slot; fileName?: string; contentType?: string }> = [];
  for (const part of text.split(`--${b}`)) {
    const sep = part.indexOf('\r\n\r\n') >= 0 ? '\r\n\r\n' : '\n\n';
    const at = part.indexOf(sep);
    if (at < 0) continue;
    const head = part.slice(0, at);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) continue;
    const fileName = /filename="([^"]*)"/i.exec(head)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
    const value = part.slice(at + sep.length).replace(/\r?\n$/, '');
    out.push({ slot: slot('multipart', name, value), fileName, contentType });
  }
  return out;
}

function bodyModel(ex: Exchange): BodyModel | undefined {
  const text = ex.postText;
  const params = ex.postParams;
  if (!text && !params) return undefined;
  const mimeType = ex.postMime || header(ex.reqHeaders, 'content-type') || 'application/octet-stream';
  const mime = mimeOf(mimeType);
  if (mime.startsWith('multipart/')) {
    const fields = text ? multipartFields(text, mimeType) : [];
    if (fields.length || !params) return { kind: 'multipart', mimeType, fields };
    return { kind: 'multipart', mimeType, fields: params.map((p) => ({ slot: slot('multipart', p.name, p.value), fileName: p.fileName, contentType: p.contentType })) };
  }
  if (mime === 'application/x-www-form-urlencoded') {
    const fields: Slot[] = [];
    if (text !== undefined && text !== '') {
      for (const pair of text.split('&')) {
        if (!pair) continue;
        const eq = pair.indexOf('=');
        fields.push(slot('form', safeDecode(eq < 0 ? pair : pair.slice(0, eq)), eq < 0 ? '' : safeDecode(pair.slice(eq + 1))));
      }
    } else for (const p of params ?? []) fields.push(slot('form', safeDecode(p.name), safeDecode(p.value)));
    return { kind: 'form', mimeType, fields };
  }
  if (text === undefined || text === '') return undefined;
  if (mime.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      const tree = JSON.parse(text) as unknown;
      const slots = new Map<string, Slot>();
      jsonSlots(tree, '$', slots);
      return { kind: 'json', mimeType, tree, slots };
    } catch {
      /* not JSON after all */
    }
  }
  if (/[\x00-\x08\x0e-\x1f]/.test(text)) return { kind: 'binary', mimeType, base64: Buffer.from(text, 'latin1').toString('base64') };
  return { kind: 'text', mimeType, text };
}

/** Splits a request into the places a value can sit. */
export function readRequest(ex: Exchange): RequestModel {
  const u = ex.url!;
  const segs = u.pathname.split('/').slice(1);
  const path = segs.map((raw, i) => ({ raw, slot: { ...slot('path', String(i), safeDecode(raw)), ...(i > 0 ? { after: safeDecode(segs[i - 1]!) } : {}) } }));
  const query: RequestModel['query'] = [];
  const search = u.search.startsWith('?') ? u.search.slice(1) : '';
  for (const raw of search.split('&')) {
    if (!raw) continue;
    const eq = raw.indexOf('=');
    const rawName = eq < 0 ? raw : raw.slice(0, eq);
    query.push({ raw, rawName, slot: slot('query', safeDecode(rawName), eq < 0 ? '' : safeDecode(raw.slice(eq + 1))) });
  }
  const headers: RequestModel['headers'] = [];
  for (const h of ex.reqHeaders) {
    const lower = h.name.toLowerCase();
    if (lower.startsWith(':') || DROP_HEADERS.has(lower)) continue;
    headers.push({ name: h.name, slot: slot('header', h.name, h.value) });
  }
  return { method: ex.method, origin: u.origin, path, query, headers, body: bodyModel(ex) };
}

/** Every slot of a request, in a fixed order (path, query, headers, body). */
export function slotsOf(m: RequestModel): Slot[] {
  const out: Slot[] = [];
  for (const p of m.path) if (p.slot) out.push(p.slot);
  for (const q of m.query) out.push(q.slot);
  for (const h of m.headers) out.push(h.slot);
  const b = m.body;
  if (b?.kind === 'json') out.push(...b.slots.values());
  else if (b?.kind === 'form') out.push(...b.fields);
  else if (b?.kind === 'multipart') for (const f of b.fields) out.push(f.slot);
  return out;
}
