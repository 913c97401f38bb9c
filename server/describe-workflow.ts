import type { Workflow } from '../core/index.js';

/** A workflow in plain words: its steps, where every value comes from, and its inputs. */
export function describeWorkflow(wf: Workflow): string {
  const lines: string[] = [];
  lines.push(`workflow ${wf.id} "${wf.name}": ${wf.steps.length} steps on ${wf.origins.join(', ')}`);
  for (const s of wf.steps) {
    const tags = [s.bootstrap ? 'login' : '', s.id === wf.output.step ? 'output' : '', s.stateChanging ? 'changes state' : ''].filter(Boolean);
    lines.push(`  ${s.id}  ${s.description}${tags.length ? `  [${tags.join(', ')}]` : ''}`);
  }
  if (wf.variables.length) {
    lines.push('values:');
    for (const v of wf.variables) lines.push(`  ${v.name}: ${v.description}`);
  }
  if (wf.inputs.length) {
    lines.push('inputs:');
    for (const i of wf.inputs) {
      const def = i.secret ? '(secret; recorded value kept encrypted)' : i.default !== undefined ? `default ${JSON.stringify(i.default)}` : 'required';
      lines.push(`  ${i.name} (${i.type}) ${def} — ${i.description}`);
    }
  }
  if (wf.session) {
    const s = wf.session;
    lines.push(`session: login ${s.bootstrapSteps.join(', ') || '-'}; cookies ${s.cookies.join(', ') || '-'}${s.needsBrowser ? '; needs a browser to log in' : ''}`);
    if (s.jsCookies.length) lines.push(`  set by page JavaScript: ${s.jsCookies.map((c) => c.name).join(', ')}`);
  }
  for (const n of wf.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
