/** What the detail page derives from a workflow: where each value comes from, who uses it, the curl line. */
import type { Variable, Workflow, WorkflowStep } from './types.js';

type Extractor = Extract<Variable['source'], { kind: 'extract' }>['extractor'];

// The replayer's placeholder syntax (replayer/variable-scope.ts).
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g;

/** Every template text a step sends: URL, its headers, the workflow's common headers, the body. */
function templatesOf(wf: Workflow, step: WorkflowStep): string[] {
  const r = step.request;
  const out = [r.url, ...r.headers.flatMap((h) => [h.name, h.value]), ...(wf.headers ?? []).map((h) => h.value)];
  const b = r.body;
  if (b?.kind === 'json') out.push(JSON.stringify(b.template));
  else if (b?.kind === 'form' || b?.kind === 'multipart') out.push(...b.fields.flatMap((f) => [f.name, f.value]));
  else if (b?.kind === 'text') out.push(b.template);
  return out;
}

/** Variable name → ids of the steps whose request holds `{{name}}`, in step order. */
export function usesByVariable(wf: Workflow): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  for (const step of wf.steps) {
    const names = new Set<string>();
    for (const t of templatesOf(wf, step)) for (const m of t.matchAll(PLACEHOLDER)) names.add(m[1]!);
    for (const name of names) uses.set(name, [...(uses.get(name) ?? []), step.id]);
  }
  return uses;
}

export function extractorText(x: Extractor): string {
  switch (x.type) {
    case 'json':
      return `JSON ${x.path}`;
    case 'header':
      return `header ${x.name}`;
    case 'set_cookie':
      return `cookie ${x.name} (Set-Cookie)`;
    case 'html_input':
      return `input[name=${x.name}] in the HTML`;
    case 'html_meta':
      return `meta[name=${x.name}] in the HTML`;
    case 'regex':
      return `regex /${x.pattern}/ group ${x.group}`;
    case 'location':
    case 'url': {
      const what = x.type === 'location' ? 'redirect Location' : 'final URL';
      if (x.param !== undefined) return `query parameter ${x.param} of the ${what}`;
      if (x.segment !== undefined) return `path segment ${x.segment} of the ${what}`;
      return `the ${what}`;
    }
  }
}

export type SourceView =
  | { kind: 'extract'; step: string; rule: string }
  | { kind: 'input'; input: string }
  | { kind: 'generated'; text: string }
  | { kind: 'constant'; value: string };

export function sourceOf(v: Variable): SourceView {
  const s = v.source;
  switch (s.kind) {
    case 'extract':
      return { kind: 'extract', step: s.step, rule: extractorText(s.extractor) };
    case 'input':
      return { kind: 'input', input: s.input };
    case 'generated':
      return { kind: 'generated', text: `generated ${s.generator}${s.length ? ` (${s.length})` : ''}` };
    case 'constant':
      return { kind: 'constant', value: v.secret ? '•••' : s.value };
  }
}

export function stepAnchor(stepId: string): string {
  return `step-${stepId}`;
}

/** Example inputs for the curl line: defaults as they are, secrets as a placeholder. */
export function exampleInputs(wf: Workflow): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const i of wf.inputs) {
    if (i.secret) inputs[i.name] = `<${i.name}>`;
    else if (i.default !== undefined) inputs[i.name] = i.default;
    else inputs[i.name] = i.type === 'number' ? 0 : i.type === 'boolean' ? false : `<${i.name}>`;
  }
  return inputs;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A ready-to-copy call; the key stays in the caller's environment. */
export function curlLine(origin: string, wf: Workflow): string {
  const body = JSON.stringify({ inputs: exampleInputs(wf), mode: 'auto', wait: 30 });
  return [
    `curl -X POST ${origin}/v1/workflows/${wf.id}/runs`,
    `-H "Authorization: Bearer $REPLAYFARM_API_KEY"`,
    `-H 'content-type: application/json'`,
    `-d ${shellQuote(body)}`,
  ].join(' ');
}
