import { Type, type Static } from '@sinclair/typebox';
import { httpUrl, nullable, stringEnum, type JsonSchema } from '../../core/index.js';

export const RUN_MODES = ['auto', 'http', 'browser'] as const;
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
/** The modes a run can end in. */
export const RUN_ENDED_MODES = ['http', 'browser', 'hybrid'] as const;
export const DEFAULT_WAIT_S = 30;
export const MAX_WAIT_S = 300;

/**
 * POST /v1/workflows/:id/runs, with `inputs` as given: open here (the replayer checks them
 * against the workflow, code invalid_input); a workflow's own document types them.
 */
export function runRequestSchema(inputs: JsonSchema = Type.Object({}, { description: 'Values keyed by input name; see GET /v1/workflows/{id}/openapi.json' })) {
  return Type.Object(
    {
      inputs: Type.Optional(Type.Unsafe<Record<string, unknown>>(inputs)),
      mode: Type.Optional(nullable(stringEnum(RUN_MODES, { default: 'auto' }))),
      session: Type.Optional(nullable(Type.String({ maxLength: 100, pattern: '^[\\w.-]{1,100}$', 'x-error': 'letters, digits, _ . - only', default: 'default', description: 'Session name; runs with the same name share cookies and tokens' }))),
      wait: Type.Optional(nullable(Type.Number({ minimum: 0, maximum: MAX_WAIT_S, default: DEFAULT_WAIT_S, description: 'Seconds to wait for the result before answering 202' }))),
      webhook: Type.Optional(nullable(httpUrl(4096, { description: 'Called with the finished run, signed with X-Replayfarm-Signature' }))),
    },
    { additionalProperties: false },
  );
}

export const RunBody = runRequestSchema();
export type RunBody = Static<typeof RunBody>;

/** A run; `outputBody` types output.body (a workflow's document passes its recorded output schema). */
export function runSchema(outputBody: JsonSchema = {}) {
  return Type.Object(
    {
      id: Type.String(),
      workflowId: Type.String(),
      version: Type.Optional(Type.Integer({ minimum: 1, description: 'The version of the workflow it ran' })),
      status: stringEnum(RUN_STATUSES),
      mode: Type.Optional(stringEnum(RUN_ENDED_MODES, { description: 'The mode the run ended in' })),
      requestedMode: Type.Optional(stringEnum(RUN_MODES)),
      session: Type.Optional(Type.String()),
      output: Type.Optional(Type.Object({ status: Type.Integer(), contentType: Type.String(), body: Type.Unsafe(outputBody) })),
      steps: Type.Optional(
        Type.Array(Type.Object({ id: Type.String(), status: Type.String(), ms: Type.Number(), attempts: Type.Integer(), httpStatus: Type.Optional(Type.Integer()), reason: Type.Optional(Type.String()), action: Type.Optional(Type.String({ description: 'Browser-mode steps (a1, a2, …): the action run, e.g. click role=button[name="Save"]; typed values never shown' })) })),
      ),
      warnings: Type.Optional(Type.Array(Type.String(), { description: 'What the site did differently from the recording that did not stop the run (e.g. its output lost fields the recorded answer had, after a state-changing step was accepted)' })),
      fallback: Type.Optional(Type.Object({ reason: Type.String(), ms: Type.Number(), browser: Type.Optional(Type.Boolean({ description: 'A browser was used (a browser login or the whole run); absent when HTTP sufficed' })) })),
      error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
      durationMs: Type.Optional(Type.Number()),
      createdAt: Type.Optional(Type.String({ format: 'date-time' })),
      finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
    },
    { title: 'Run' },
  );
}

export const RunSchema = runSchema();

/** GET /v1/runs and GET /v1/runs/events: which runs (`limit`/`offset` are checked by pagination). */
export const RunsQuery = Type.Object(
  {
    workflowId: Type.Optional(Type.String({ maxLength: 100, description: "Only this workflow's runs" })),
    status: Type.Optional(stringEnum(RUN_STATUSES)),
    mode: Type.Optional(stringEnum(RUN_ENDED_MODES, { description: 'The mode the run ended in' })),
    limit: Type.Optional(Type.String()),
    offset: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type RunsQuery = Static<typeof RunsQuery>;
