import { AppError, type ErrorDetail, type Workflow } from '../core/index.js';
import { bodyProblems, requireObject } from './validate.js';
import { INPUT_NAME, WorkflowPatchBody, type ConstantEdit, type InputEdit, type StepEdit } from './schemas/index.js';

let shapeProblems: ((body: unknown) => ErrorDetail[]) | undefined;

/**
 * PATCH /v1/workflows/:id body:
 * `{ name?, output?: { step }, inputs?: { <name>: { rename?, drop?, default?, description? } },
 *   constants?: { <name>: { value?, promote? } }, steps?: { <id>: { idempotent } }, heal?, notify?: { webhook: url | null },
 *   target? }` (target is handled by
 * the route: it learns again).
 * Renaming rewrites every reference (variable sources, actions); dropping an input freezes it to
 * its recorded default (a constant); neither may leave the workflow inconsistent.
 */
export function applyWorkflowPatch(wf: Workflow, body: unknown, now: Date): Workflow {
  const patch = requireObject(body) as WorkflowPatchBody;
  // The shape is WorkflowPatchBody's (what the API document shows); what follows needs the workflow.
  // Both kinds of problem are answered together, so edits below skip values of the wrong shape.
  shapeProblems ??= bodyProblems(WorkflowPatchBody);
  const details: ErrorDetail[] = shapeProblems(patch);
  const next: Workflow = structuredClone(wf);

  if (typeof patch.name === 'string' && patch.name.trim()) next.name = patch.name.trim();
  if (patch.heal === 'auto' || patch.heal === 'propose' || patch.heal === 'off') next.heal = patch.heal;
  const hook = patch.notify?.webhook;
  if (hook === null) delete next.notify;
  else if (typeof hook === 'string') next.notify = { webhook: hook };
  const step = patch.output?.step;
  if (typeof step === 'string') {
    if (!next.steps.some((s) => s.id === step)) details.push({ path: 'output.step', message: `must be one of the step ids: ${next.steps.map((s) => s.id).join(', ')}` });
    else next.output = { step };
  }
  for (const [name, edit] of entries(patch.inputs)) editInput(next, name, edit, details);
  for (const [name, edit] of entries(patch.constants)) editConstant(next, name, edit, details);
  for (const [id, edit] of entries(patch.steps)) editStep(next, id, edit, details);
  if (details.length) throw invalidEdit(details);
  next.updatedAt = now.toISOString();
  return next;
}

/** One problem per path (a shape problem and a lookup one may both name `steps.s9`), in path order whichever check found it. */
function invalidEdit(all: ErrorDetail[]): AppError {
  const details = all.filter((d, i) => all.findIndex((x) => x.path === d.path) === i).sort((a, b) => (a.path! < b.path! ? -1 : a.path! > b.path! ? 1 : 0));
  return new AppError('invalid_request', `Invalid workflow edit: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, { details: details });
}

/** The entries of a keyed edit object; none when it is not one (the schema check said so). */
function entries<T>(edits: Record<string, T> | undefined): Array<[string, T]> {
  return edits !== null && typeof edits === 'object' && !Array.isArray(edits) ? Object.entries(edits) : [];
}

/** An edit of the right shape (an object); the schema check reported any other. */
const NAME = new RegExp(INPUT_NAME);

const isEdit = (edit: unknown): edit is Record<string, unknown> => edit !== null && typeof edit === 'object' && !Array.isArray(edit);

function editInput(wf: Workflow, name: string, edit: InputEdit, details: ErrorDetail[]): void {
  const path = `inputs.${name}`;
  const input = wf.inputs.find((i) => i.name === name);
  if (!input) {
    details.push({ path, message: `no such input (inputs: ${wf.inputs.map((i) => i.name).join(', ') || 'none'})` });
    return;
  }
  if (!isEdit(edit)) return;
  if (typeof edit.description === 'string') input.description = edit.description;
  if (edit.default !== undefined) {
    if (input.secret) details.push({ path: `${path}.default`, message: 'a secret input keeps its recorded (sealed) default' });
    else if (typeof edit.default !== input.type) details.push({ path: `${path}.default`, message: `must be a ${input.type}` });
    else {
      input.default = edit.default;
      input.required = false;
    }
  }
  if (edit.drop === true) {
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
  // A name of the wrong shape was reported by the schema (INPUT_NAME).
  if (typeof edit.rename !== 'string' || !NAME.test(edit.rename)) return;
  const to = edit.rename;
  if (wf.inputs.some((i) => i.name === to)) {
    details.push({ path: `${path}.rename`, message: `an input named ${to} exists already` });
    return;
  }
  for (const v of wf.variables) if (v.source.kind === 'input' && v.source.input === name) v.source = { kind: 'input', input: to };
  for (const a of wf.actions) if (a.input === name) a.input = to;
  input.name = to;
}

/**
 * A constant of the app (a value nobody typed): change its value, or promote it to an input
 * (named as the constant, its value the default), when it turns out to vary between uses.
 */
function editConstant(wf: Workflow, name: string, edit: ConstantEdit, details: ErrorDetail[]): void {
  const path = `constants.${name}`;
  const v = wf.variables.find((x) => x.name === name && x.source.kind === 'constant');
  if (!v) {
    const names = wf.variables.filter((x) => x.source.kind === 'constant').map((x) => x.name);
    details.push({ path, message: `no such constant (constants: ${names.join(', ') || 'none'})` });
    return;
  }
  if (!isEdit(edit)) return;
  let value = (v.source as { value: string }).value;
  if (edit.value !== undefined) {
    if (typeof edit.value !== 'string' || edit.value.length > 10_000) return;
    value = edit.value;
    v.source = { kind: 'constant', value };
    v.recorded = value;
  }
  if (edit.promote === true) {
    if (wf.inputs.some((i) => i.name === name)) {
      details.push({ path: `${path}.promote`, message: `an input named ${name} exists already` });
      return;
    }
    v.source = { kind: 'input', input: name };
    wf.inputs.push({ name, type: 'string', secret: false, required: false, default: value, description: v.description.replace(/: a constant of the app.*$/, ''), origin: 'request' });
  }
}

/** A step's declarations: `idempotent` (a state-changing step the site dedupes may be sent again after its worker died). */
function editStep(wf: Workflow, id: string, edit: StepEdit, details: ErrorDetail[]): void {
  const path = `steps.${id}`;
  const step = wf.steps.find((s) => s.id === id);
  if (!step) {
    details.push({ path, message: `no such step (steps: ${wf.steps.map((s) => s.id).join(', ')})` });
    return;
  }
  if (!isEdit(edit) || typeof edit.idempotent !== 'boolean') return;
  if (!step.stateChanging || step.bootstrap) details.push({ path: `${path}.idempotent`, message: 'only a state-changing step that is not part of the login can be declared idempotent' });
  else if (edit.idempotent) step.idempotent = true;
  else delete step.idempotent;
}
