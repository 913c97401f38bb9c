import type { ValueSource, Workflow, WorkflowStep } from './workflow.js';

/** A value's source in a few words: `input title`, `s1: JSON $.id`, `constant "10"`. */
export function sourceWords(s: ValueSource): string {
  switch (s.kind) {
    case 'input':
      return `input ${s.input}`;
    case 'constant':
      return `constant ${JSON.stringify(s.value)}`;
    case 'generated':
      return `generated ${s.generator}`;
    case 'extract': {
      const e = s.extractor;
      const rule =
        e.type === 'json' ? `JSON ${e.path}` : e.type === 'header' ? `header ${e.name}` : e.type === 'set_cookie' ? `cookie ${e.name}` : e.type === 'html_input' ? `input[name=${e.name}] in the HTML` : e.type === 'html_meta' ? `meta[name=${e.name}] in the HTML` : e.type === 'regex' ? `the text matching /${e.pattern}/` : `${e.type}${e.param ? ` parameter ${e.param}` : ''}${e.segment !== undefined ? ` segment ${e.segment}` : ''}`;
      return `${s.step}: ${rule}`;
    }
  }
}

/** The names of a form or JSON body's top-level fields (none for other bodies). */
function bodyFields(s: WorkflowStep): string[] {
  const b = s.request.body;
  if (!b) return [];
  if (b.kind === 'form' || b.kind === 'multipart') return b.fields.map((f) => f.name);
  if (b.kind === 'json' && b.template && typeof b.template === 'object' && !Array.isArray(b.template)) return Object.keys(b.template);
  return [];
}

/** `: now x, y; no longer z` for two lists of names (empty when the same names are in both). */
function namesChanged(before: string[], after: string[], what = ''): string {
  const added = [...new Set(after.filter((n) => !before.includes(n)))];
  const gone = [...new Set(before.filter((n) => !after.includes(n)))];
  const parts = [added.length ? `now ${what ? `${what} ` : ''}${added.join(', ')}` : '', gone.length ? `no longer ${gone.join(', ')}` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

const stepWords = (s: WorkflowStep) => `${s.request.method} ${s.request.url}`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What changed from workflow `a` to `b`, one plain sentence per change: steps added, removed or
 * changed (method and URL, headers, body, state-changing, expectations), values whose source
 * changed, inputs added, removed or changed, the output step, the name. Empty when they are alike.
 */
export function describeChanges(a: Workflow, b: Workflow): string[] {
  const out: string[] = [];
  if (a.name !== b.name) out.push(`renamed from ${JSON.stringify(a.name)} to ${JSON.stringify(b.name)}`);
  const before = new Map(a.steps.map((s) => [s.id, s]));
  const after = new Map(b.steps.map((s) => [s.id, s]));
  for (const [id, s] of after) if (!before.has(id)) out.push(`step ${id} added: ${stepWords(s)}`);
  for (const [id, s] of before) if (!after.has(id)) out.push(`step ${id} removed: ${stepWords(s)}`);
  for (const [id, s] of after) {
    const o = before.get(id);
    if (!o) continue;
    if (stepWords(o) !== stepWords(s)) out.push(`step ${id}: ${stepWords(o)} → ${stepWords(s)}`);
    if (!same(o.request.headers, s.request.headers)) out.push(`step ${id}: its headers changed${namesChanged(o.request.headers.map((h) => h.name.toLowerCase()), s.request.headers.map((h) => h.name.toLowerCase()))}`);
    if (!same(o.request.body, s.request.body)) out.push(`step ${id}: its body changed${namesChanged(bodyFields(o), bodyFields(s))}`);
    if (o.stateChanging !== s.stateChanging) out.push(`step ${id}: ${s.stateChanging ? 'now changes state' : 'no longer changes state'}`);
    if (!same(o.expect, s.expect)) out.push(`step ${id}: what its answer must look like changed${namesChanged(o.expect.jsonKeys ?? [], s.expect.jsonKeys ?? [], 'fields')}`);
  }
  const vBefore = new Map(a.variables.map((v) => [v.name, v]));
  const vAfter = new Map(b.variables.map((v) => [v.name, v]));
  for (const [name, v] of vAfter) {
    const o = vBefore.get(name);
    if (!o) out.push(`value ${name} added (from ${sourceWords(v.source)})`);
    else if (!same(o.source, v.source)) out.push(`value ${name} now comes from ${sourceWords(v.source)} (was ${sourceWords(o.source)})`);
  }
  for (const name of vBefore.keys()) if (!vAfter.has(name)) out.push(`value ${name} removed`);
  const iBefore = new Map(a.inputs.map((i) => [i.name, i]));
  const iAfter = new Map(b.inputs.map((i) => [i.name, i]));
  for (const [name, i] of iAfter) {
    const o = iBefore.get(name);
    if (!o) out.push(`input ${name} added (${i.type}${i.secret ? ', secret' : ''})`);
    else {
      if (o.type !== i.type) out.push(`input ${name}: type ${o.type} → ${i.type}`);
      if (o.secret !== i.secret) out.push(`input ${name}: ${i.secret ? 'now secret' : 'no longer secret'}`);
      if (!i.secret && !o.secret && o.default !== i.default) out.push(`input ${name}: default ${JSON.stringify(o.default)} → ${JSON.stringify(i.default)}`);
      if (o.required !== i.required) out.push(`input ${name}: ${i.required ? 'now required' : 'now optional'}`);
    }
  }
  for (const name of iBefore.keys()) if (!iAfter.has(name)) out.push(`input ${name} removed`);
  if (a.output.step !== b.output.step) out.push(`output step ${a.output.step} → ${b.output.step}`);
  return out;
}
