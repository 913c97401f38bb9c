import type { StepExpectation } from '../../core/index.js';
import type { Chain } from './chains.js';

function parseJson(body: string | undefined): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** Sorted key paths two levels deep; arrays of objects contribute their first element's keys as `k[].x`. */
export function jsonKeys(value: unknown): string[] {
  const keys = new Set<string>();
  const level = (node: unknown, prefix: string, depth: number): void => {
    if (depth >= 2 || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      const first = node.find((x) => x && typeof x === 'object' && !Array.isArray(x));
      if (first) level(first, `${prefix}[]`, depth);
      return;
    }
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const p = prefix ? `${prefix}.${k}` : k;
      keys.add(p);
      level(v, p, depth + 1);
    }
  };
  level(value, '', 0);
  return [...keys].sort();
}

export function expectationOf(c: Chain): StepExpectation {
  const f = c.final;
  const out: StepExpectation = { status: f.status };
  if (f.mime) out.contentType = f.mime;
  if (f.mime.includes('json')) {
    const parsed = parseJson(f.body);
    if (parsed !== undefined && typeof parsed === 'object' && parsed !== null) out.jsonKeys = jsonKeys(parsed);
  } else if (f.mime.includes('html') && f.body) {
    const t = /<title[^>]*>([^<]*)<\/title>/i.exec(f.body);
    if (t) out.htmlTitle = t[1]!.trim();
  }
  if (f.status >= 300 && f.status < 400 && f.location) {
    try {
      const u = new URL(f.location);
      out.redirectTo = u.pathname + u.search;
    } catch {
      /* unparsable Location: nothing to expect */
    }
  }
  return out;
}

function schemaOf(v: unknown, depth: number): Record<string, unknown> {
  if (v === null) return { type: 'null' };
  if (Array.isArray(v)) {
    if (depth > 8 || v.length === 0) return { type: 'array' };
    return { type: 'array', items: merge(v.slice(0, 20).map((x) => schemaOf(x, depth + 1))) };
  }
  switch (typeof v) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: Number.isInteger(v) ? 'integer' : 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'object': {
      if (depth > 8) return { type: 'object' };
      const properties: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) properties[k] = schemaOf(x, depth + 1);
      return { type: 'object', properties, required: Object.keys(properties).sort() };
    }
    default:
      return {};
  }
}

/** One schema for array elements: identical ones collapse, different ones become anyOf. */
function merge(schemas: Array<Record<string, unknown>>): Record<string, unknown> {
  const seen = new Map<string, Record<string, unknown>>();
  for (const s of schemas) {
    if (s.type === 'object' && seen.has('object')) {
      const a = seen.get('object')!;
      const pa = a.properties as Record<string, unknown>;
      const pb = s.properties as Record<string, unknown>;
      const props = { ...pb, ...pa };
      const req = (a.required as string[]).filter((k) => k in pb);
      seen.set('object', { type: 'object', properties: props, required: req });
      continue;
    }
    const key = s.type === 'object' ? 'object' : JSON.stringify(s);
    if (!seen.has(key)) seen.set(key, s);
  }
  const all = [...seen.values()];
  return all.length === 1 ? all[0]! : { anyOf: all };
}

/** JSON Schema of the recorded output body. */
export function outputSchemaOf(c: Chain): Record<string, unknown> | undefined {
  const f = c.final;
  if (f.mime.includes('json') || /^\s*[{[]/.test(f.body?.slice(0, 16) ?? '')) {
    const parsed = parseJson(f.body);
    if (parsed !== undefined) return { $schema: 'http://json-schema.org/draft-07/schema#', ...schemaOf(parsed, 0) };
  }
  if (f.body !== undefined && f.body !== '') return { type: 'string', ...(f.mime ? { contentMediaType: f.mime } : {}) };
  return undefined;
}
