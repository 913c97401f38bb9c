import { AppError, type ErrorDetail, type Workflow } from '../core/index.js';
import { requireObject } from './validate.js';

/**
 * PATCH /v1/workflows/:id body:
 * `{ name?, output?: { step }, inputs?: { <name>: { rename?, drop?, default?, description? } },
 *   constants?: { <name>: { value?, promote? } }, steps?: { <id>: { idempotent } }, target? }` (target is handled by
 * the route: it learns again).
 * Renaming rewrites every reference (variable sources, actions); dropping an input freezes it to
 * its recorded default (a constant); neither may leave the workflow inconsistent.
 */
export function applyWorkflowPatch(wf: Workflow, body: unknown, now: Date): Workflow {
  const patch = requireObject(body);
  const details: ErrorDetail[] = [];
  const next: Workflow = structuredClone(wf);

  for (const key of Object.keys(patch)) {
    if (!['name', 'output', 'inputs', 'constants', 'steps'].includes(key)) details.push({ path: key, message: 'is not editable (name, output, inputs, constants, steps, target)' });
  }
  if (patch.name !== undefined) {
    if (typeof patch.name !== 'string' || !patch.name.trim() || patch.name.length > 200) details.push({ path: 'name', message: 'must be a non-empty string of at most 200 characters' });
    else next.name = patch.name.trim();
  }
  if (patch.output !== undefined) {
    const step = (patch.output as { step?: unknown })?.step;
    if (typeof step !== 'string' || !next.steps.some((s) => s.id === step)) {
      details.push({ path: 'output.step', message: `must be one of the step ids: ${next.steps.map((s) => s.id).join(', ')}` });
    } else next.output = { step };
  }
  if (patch.inputs !== undefined) {
    const edits = patch.inputs;
    if (edits === null || typeof edits !== 'object' || Array.isArray(edits)) details.push({ path: 'inputs', message: 'must be an object keyed by input name' });
    else for (const [name, edit] of Object.entries(edits)) editInput(next, name, edit, details);
  }
  if (patch.constants !== undefined) {
    const edits = patch.constants;
    if (edits === null || typeof edits !== 'object' || Array.isArray(edits)) details.push({ path: 'constants', message: 'must be an object keyed by constant name' });
    else for (const [name, edit] of Object.entries(edits)) editConstant(next, name, edit, details);
  }
  if (patch.steps !== undefined) {
    const edits = patch.steps;
    if (edits === null || typeof edits !== 'object' || Array.isArray(edits)) details.push({ path: 'steps', message: 'must be an object keyed by step id' });
    else for (const [id, edit] of Object.entries(edits)) editStep(next, id, edit, details);
  }
  if (details.length) throw new AppError('invalid_request', `Invalid workflow edit: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  next.updatedAt = now.toISOString();
  return next;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function editInput(wf: Workflow, name: string, edit: unknown, details: ErrorDetail[]): void {
  const path = `inputs.${name}`;
  const input = wf.inputs.find((i) => i.name === name);
  if (!input) {
    details.push({ path, message: `no such input (inputs: ${wf.inputs.map((i) => i.name).join(', ') || 'none'})` });
    return;
  }
  if (edit === null || typeof edit !== 'object' || Array.isArray(edit)) {
    details.push({ path, message: 'must be an object like {"rename":"new_name"} or {"drop":true}' });
    return;
  }
  const e = edit as { rename?: unknown; drop?: unknown; default?: unknown; description?: unknown };
  if (e.description !== undefined) {
    if (typeof e.description !== 'string') details.push({ path: `${path}.description`, message: 'must be a string' });
    else input.description = e.description;
  }
  if (e.default !== undefined) {
    if (input.secret) details.push({ path: `${path}.default`, message: 'a secret input keeps its recorded (sealed) default' });
    else if (typeof e.default !== input.type) details.push({ path: `${path}.default`, message: `must be a ${input.type}` });
    else {
      input.default = e.default as string | number | boolean;
      input.required = false;
    }
  }
  if (e.drop === true) {
    if (input.secret || input.default === undefined) {
      details.push({ path: `${path}.drop`, message: 'only an input with a non-secret default can be dropped (it becomes that constant)' });
      return;
    }
    for (const v of wf.variables) {
      if (v.source.kind === 'input' && v.source.input === name) v.source = { kind: 'constant', value: String(input.default) };
    }
    for (const a of wf.actions) if (a.input === name) delete a.input;
    wf.inputs = wf.inputs.filter((i) => i !== input);
    return;
  }
  if (e.rename !== undefined) {
    if (typeof e.rename !== 'string' || !NAME.test(e.rename)) {
      details.push({ path: `${path}.rename`, message: 'must be a name of letters, digits and _ (not starting with a digit)' });
      return;
    }
    if (wf.inputs.some((i) => i.name === e.rename)) {
      details.push({ path: `${path}.rename`, message: `an input named ${e.rename} exists already` });
      return;
    }
    const to = e.rename;
    for (const v of wf.variables) if (v.source.kind === 'input' && v.source.input === name) v.source = { kind: 'input', input: to };
    for (const a of wf.actions) if (a.input === name) a.input = to;
    input.name = to;
  }
}

/**
 * A constant of the app (a value nobody typed): change its value, or promote it to an input
 * (named as the constant, its value the default), when it turns out to vary between uses.
 */
function editConstant(wf: Workflow, name: string, edit: unknown, details: ErrorDetail[]): void {
  const path = `constants.${name}`;
  const v = wf.variables.find((x) => x.name === name && x.source.kind === 'constant');
  if (!v) {
    const names = wf.variables.filter((x) => x.source.kind === 'constant').map((x) => x.name);
    details.push({ path, message: `no such constant (constants: ${names.join(', ') || 'none'})` });
    return;
  }
  if (edit === null || typeof edit !== 'object' || Array.isArray(edit)) {
    details.push({ path, message: 'must be an object like {"value":"new"} or {"promote":true}' });
    return;
  }
  const e = edit as { value?: unknown; promote?: unknown };
  const bad = Object.keys(e).filter((k) => k !== 'value' && k !== 'promote');
  if (bad.length) details.push({ path: `${path}.${bad[0]}`, message: 'is not editable (value, promote)' });
  let value = (v.source as { value: string }).value;
  if (e.value !== undefined) {
    if (typeof e.value !== 'string' || e.value.length > 10_000) {
      details.push({ path: `${path}.value`, message: 'must be a string of at most 10000 characters' });
      return;
    }
    value = e.value;
    v.source = { kind: 'constant', value };
    v.recorded = value;
  }
  if (e.promote !== undefined && e.promote !== true && e.promote !== false) details.push({ path: `${path}.promote`, message: 'must be true or false' });
  if (e.promote === true) {
    if (wf.inputs.some((i) => i.name === name)) {
      details.push({ path: `${path}.promote`, message: `an input named ${name} exists already` });
      return;
    }
    v.source = { kind: 'input', input: name };
    wf.inputs.push({ name, type: 'string', secret: false, required: false, default: value, description: v.description.replace(/: a constant of the app.*$/, ''), origin: 'request' });
  }
}

/** A step's declarations: `idempotent` (a state-changing step the site dedupes may be sent again after its worker died). */
function editStep(wf: Workflow, id: string, edit: unknown, details: ErrorDetail[]): void {
  const path = `steps.${id}`;
  const step = wf.steps.find((s) => s.id === id);
  if (!step) {
    details.push({ path, message: `no such step (steps: ${wf.steps.map((s) => s.id).join(', ')})` });
    return;
  }
  if (edit === null || typeof edit !== 'object' || Array.isArray(edit)) {
    details.push({ path, message: 'must be an object like {"idempotent":true}' });
    return;
  }
  const e = edit as { idempotent?: unknown };
  const bad = Object.keys(e).filter((k) => k !== 'idempotent');
  if (bad.length) details.push({ path: `${path}.${bad[0]}`, message: 'is not editable (idempotent)' });
  if (e.idempotent === undefined) return;
  if (typeof e.idempotent !== 'boolean') details.push({ path: `${path}.idempotent`, message: 'must be true or false' });
  else if (!step.stateChanging || step.bootstrap) details.push({ path: `${path}.idempotent`, message: 'only a state-changing step that is not part of the login can be declared idempotent' });
  else if (e.idempotent) step.idempotent = true;
  else delete step.idempotent;
}
