import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { httpUrl, nullable, stringEnum } from '../../core/index.js';
import { ActionSchema } from './actions.js';
import { TargetSchema } from './recordings.js';

/** An object keyed by names the caller picks (input names, step ids), each value of `schema`. */
const keyed = <T extends TSchema>(schema: T, description: string) => Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: schema, description });

export const INPUT_NAME = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';

export type InputEdit = Static<typeof InputEdit>;
export const InputEdit = Type.Object({
  rename: Type.Optional(Type.String({ pattern: INPUT_NAME, 'x-error': 'must be a name of letters, digits and _ (not starting with a digit)' })),
  drop: Type.Optional(Type.Boolean({ description: 'Freeze the input to its recorded default (a constant)' })),
  default: Type.Optional(Type.Unsafe<string | number | boolean>({ anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], 'x-error': 'must be a string, a number or true/false' })),
  description: Type.Optional(Type.String()),
});

export type ConstantEdit = Static<typeof ConstantEdit>;
export const ConstantEdit = Type.Object(
  {
    value: Type.Optional(Type.String({ maxLength: 10_000 })),
    promote: Type.Optional(Type.Boolean({ description: 'Make the constant an input (its value the default)' })),
  },
  { additionalProperties: false },
);

export type StepEdit = Static<typeof StepEdit>;
export const StepEdit = Type.Object({ idempotent: Type.Optional(Type.Boolean({ description: 'Only a state-changing step outside the login' })) }, { additionalProperties: false });

/**
 * PATCH /v1/workflows/:id. The schema says the shape; server/workflow-patch.ts checks what only
 * the workflow can tell (that an input, constant or step of that name exists, …).
 */
/** What happens when the site changed and a run got through in the browser (Workflow.heal). */
export const HEAL_POLICIES = ['auto', 'propose', 'off'] as const;

export const WorkflowPatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', 'x-error': 'must be a non-empty string of at most 200 characters' })),
    output: Type.Optional(Type.Object({ step: Type.String({ description: 'A step id, e.g. s3' }) })),
    inputs: Type.Optional(keyed(InputEdit, 'Edits keyed by input name')),
    constants: Type.Optional(keyed(ConstantEdit, 'Edits keyed by constant name')),
    steps: Type.Optional(keyed(StepEdit, 'Edits keyed by step id')),
    target: Type.Optional(TargetSchema),
    heal: Type.Optional(stringEnum(HEAL_POLICIES, { description: 'When the site changed and a run got through in the browser: auto promotes a verified candidate, propose keeps it for a person (default), off learns nothing' })),
    notify: Type.Optional(Type.Object({ webhook: nullable(httpUrl(4096, { description: "POSTed the workflow's events (falling_back, healed, candidate_proposed, heal_rejected), signed with X-Replayfarm-Signature like run webhooks; null removes it" })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type WorkflowPatchBody = Static<typeof WorkflowPatchBody>;

const WorkflowInputSchema = Type.Object({
  name: Type.String(),
  type: stringEnum(['string', 'number', 'boolean'] as const),
  secret: Type.Boolean(),
  required: Type.Boolean(),
  default: Type.Optional(Type.Unsafe({ anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] })),
  description: Type.String(),
});

/** A learned workflow (the model is core/workflow.ts; here what a caller relies on). */
export const WorkflowSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    schemaVersion: Type.Integer({ description: '2: headers every step sends alike are in `headers`, once; workflows stored as 1 are migrated when read' }),
    recordingId: Type.Optional(Type.String()),
    heal: Type.Optional(stringEnum(HEAL_POLICIES, { description: 'Heal policy (absent: propose)' })),
    notify: Type.Optional(Type.Object({ webhook: Type.String({ description: "Where the workflow's events are POSTed" }) })),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Its version: 1 as learned (absent), one more with every change; see GET /v1/workflows/{id}/versions' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    origins: Type.Array(Type.String()),
    headers: Type.Optional(Type.Array(Type.Object({ name: Type.String(), value: Type.String() }), { description: "Headers every step sends with the same value; each step's request lists only its own" })),
    steps: Type.Array(Type.Object({ id: Type.String(), description: Type.String(), stateChanging: Type.Boolean(), bootstrap: Type.Boolean(), idempotent: Type.Optional(Type.Boolean()) })),
    variables: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
    inputs: Type.Array(WorkflowInputSchema),
    output: Type.Object({ step: Type.String() }),
    outputSchema: Type.Optional(Type.Object({}, { description: 'JSON Schema of the output body, inferred from the recording' })),
    actions: Type.Array(ActionSchema),
    notes: Type.Array(Type.String()),
  },
  { title: 'Workflow' },
);

export const WorkflowSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  origins: Type.Array(Type.String()),
  steps: Type.Integer({ description: 'How many steps' }),
  inputs: Type.Array(Type.String(), { description: 'Input names' }),
  version: Type.Integer({ minimum: 1, description: 'Its current version' }),
  heal: stringEnum(HEAL_POLICIES, { description: 'Its heal policy' }),
  candidate: Type.Optional(Type.Boolean({ description: 'A healed version waits to be promoted (GET /v1/workflows/{id}/candidate)' })),
});
