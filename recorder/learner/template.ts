import type { StepBody, StepRequest } from '../../core/index.js';
import type { Parts } from './catalogue.js';
import type { RequestModel, Slot } from './request-model.js';

const ph = (name: string): string => `{{${name}}}`;

/** Joins parts; literal pieces go through `encode` (placeholders are encoded by the replayer). */
function join(parts: Parts, encode: (s: string) => string): string {
  return parts.map((p) => (typeof p === 'string' ? encode(p) : ph(p.v))).join('');
}

const plain = (s: string): string => s;

function rebuildJson(node: unknown, path: string, slots: Map<string, Slot>, parts: (s: Slot) => Parts): unknown {
  if (Array.isArray(node)) return node.map((v, i) => rebuildJson(v, `${path}[${i}]`, slots, parts));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      out[k] = rebuildJson(v, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, slots, parts);
    }
    return out;
  }
  const s = slots.get(path);
  if (!s || s.res.kind === 'literal') return node;
  return join(parts(s), plain);
}

/**
 * Writes a request model back out as templates. Literal URL parts keep their recorded encoding;
 * `textSecrets` are typed values replaced inside free-text bodies (a password must not stay there
 * in clear).
 */
export function renderRequest(m: RequestModel, parts: (s: Slot) => Parts, textSecrets: Array<{ value: string; input: string }>): StepRequest {
  const path = m.path.map((p) => (p.slot && p.slot.res.kind !== 'literal' ? join(parts(p.slot), encodeURIComponent) : p.raw)).join('/');
  const query = m.query.map((q) => (q.slot.res.kind === 'literal' ? q.raw : `${q.rawName}=${join(parts(q.slot), encodeURIComponent)}`));
  const url = `${m.origin}/${path}${query.length ? `?${query.join('&')}` : ''}`;
  const headers = m.headers.map((h) => ({ name: h.name, value: h.slot.res.kind === 'literal' ? h.slot.value : join(parts(h.slot), plain) }));
  const out: StepRequest = { method: m.method, url, headers };
  const b = m.body;
  if (!b) return out;
  let body: StepBody;
  switch (b.kind) {
    case 'json':
      body = { kind: 'json', mimeType: b.mimeType, template: rebuildJson(b.tree, '$', b.slots, parts) };
      break;
    case 'form':
      body = { kind: 'form', mimeType: b.mimeType, fields: b.fields.map((f) => ({ name: f.key, value: join(parts(f), plain) })) };
      break;
    case 'multipart':
      body = {
        kind: 'multipart',
        mimeType: b.mimeType,
        fields: b.fields.map((f) => ({
          name: f.slot.key,
          value: join(parts(f.slot), plain),
          ...(f.fileName !== undefined ? { fileName: f.fileName } : {}),
          ...(f.contentType ? { contentType: f.contentType } : {}),
        })),
      };
      break;
    case 'text': {
      let text = b.text;
      for (const t of textSecrets) if (t.value && text.includes(t.value)) text = text.split(t.value).join(ph(t.input));
      body = { kind: 'text', mimeType: b.mimeType, template: text };
      break;
    }
    case 'binary':
      body = { kind: 'binary', mimeType: b.mimeType, base64: b.base64 };
      break;
  }
  out.body = body;
  return out;
}
