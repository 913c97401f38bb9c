import { AppError, type ErrorDetail, type SecretBox, type Workflow, type WorkflowInput } from '../core/index.js';

/**
 * Checks a run's inputs against the workflow's declared inputs: unknown names, wrong types and
 * missing required ones are all reported at once as invalid_input with `inputs.<name>` paths.
 * Returns the inputs as given (defaults are applied lazily by RunInputs).
 */
export function validateInputs(wf: Workflow, inputs: Record<string, unknown> | undefined, declared: ReadonlyMap<string, WorkflowInput> = inputSpecs(wf)): Record<string, unknown> {
  const given = inputs ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) throw new AppError('invalid_input', 'inputs must be an object', { details: [{ path: 'inputs', message: 'must be an object' }] });
  const details: ErrorDetail[] = [];
  for (const [name, value] of Object.entries(given)) {
    const spec = declared.get(name);
    if (!spec) {
      details.push({ path: `inputs.${name}`, message: `unknown input (declared: ${[...declared.keys()].join(', ') || 'none'})` });
      continue;
    }
    if (value === undefined || value === null) continue;
    const problem = typeProblem(spec, value);
    if (problem) details.push({ path: `inputs.${name}`, message: problem });
  }
  for (const spec of wf.inputs) {
    const v = given[spec.name];
    if (spec.required && (v === undefined || v === null) && spec.default === undefined && spec.defaultSealed === undefined) {
      details.push({ path: `inputs.${spec.name}`, message: 'is required' });
    }
  }
  if (details.length) throw new AppError('invalid_input', `Invalid inputs: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, { details: details });
  return { ...given };
}

/** The declared inputs by name. */
export function inputSpecs(wf: Workflow): Map<string, WorkflowInput> {
  return new Map(wf.inputs.map((i) => [i.name, i]));
}

function typeProblem(spec: WorkflowInput, value: unknown): string | undefined {
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? undefined : `must be a string, got ${typeName(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number, got ${typeName(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be a boolean, got ${typeName(value)}`;
    default:
      return undefined;
  }
}

function typeName(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/**
 * One run's input values: given, else the recorded default, else (secrets) the sealed default,
 * opened only when a step or action actually needs it.
 */
export class RunInputs {
  private readonly specs: ReadonlyMap<string, WorkflowInput>;
  private opened?: Map<string, string>;

  constructor(
    wf: Workflow,
    private readonly given: Record<string, unknown>,
    private readonly secretBox: SecretBox,
    /** The declared inputs by name, when the caller has them already (derived from wf otherwise). */
    specs?: ReadonlyMap<string, WorkflowInput>,
  ) {
    this.specs = specs ?? inputSpecs(wf);
  }

  readonly get = (name: string): unknown => {
    const g = this.given[name];
    if (g !== undefined && g !== null) return g;
    const spec = this.specs.get(name);
    if (!spec) return undefined;
    if (spec.default !== undefined) return spec.default;
    if (spec.defaultSealed !== undefined) {
      this.opened ??= new Map();
      let v = this.opened.get(name);
      if (v === undefined) {
        try {
          v = this.secretBox.open(spec.defaultSealed);
        } catch {
          throw new AppError('invalid_input', `The stored value of secret input ${name} cannot be opened (was SECRET_KEY changed?); pass it as an input`, { details: [{ path: `inputs.${name}`, message: 'stored secret cannot be opened' }] });
        }
        this.opened.set(name, v);
      }
      return v;
    }
    return undefined;
  };

  isSecret(name: string): boolean {
    return this.specs.get(name)?.secret ?? false;
  }
}
