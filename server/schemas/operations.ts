import { Type, type TSchema } from '@sinclair/typebox';
import type { JsonSchema } from '../../core/index.js';
import { ActionsBody } from './actions.js';
import { ErrorSchema, PageParams } from './common.js';
import { LearnBody, RecordingSchema, StartRecordingBody } from './recordings.js';
import { RUN_ENDED_MODES, RUN_STATUSES, RunBody, RunSchema } from './runs.js';
import { SessionBody, SessionState } from './session.js';
import { WorkflowPatchBody, WorkflowSchema, WorkflowSummarySchema } from './workflows.js';

/** One call of the v1 API: what server/openapi.ts documents, with the body schema its route checks. */
export interface ApiOperation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI style: `/v1/recordings/{id}`. */
  path: string;
  summary: string;
  /** JSON request body; `'har'` for the raw HAR upload; absent when the call takes none. */
  body?: TSchema | 'har';
  bodyRequired?: boolean;
  /** Query and header parameters (`{id}` in the path is added by the document). */
  params?: JsonSchema[];
  responses: Record<string, Answer>;
  /** No API key needed (health and metrics). */
  open?: boolean;
}

interface Answer {
  description: string;
  schema?: JsonSchema;
  contentType?: string;
}

const ok = (description: string, schema?: JsonSchema): Answer => ({ description, schema });
const err = (description: string): Answer => ({ description, schema: ErrorSchema });
const list = (key: string, item: JsonSchema) => Type.Object({ [key]: Type.Array(Type.Unsafe(item)), limit: Type.Integer(), offset: Type.Integer() });
const LearnResult = Type.Object({ recording: RecordingSchema, workflow: WorkflowSchema });
const notFound = err('Not found');
const invalid = err('Invalid request; each bad field named in details');

const VersionInfo = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  savedAt: Type.String({ format: 'date-time' }),
  reason: Type.String({ enum: ['learned', 'edited', 'relearned', 'promoted', 'healed'] }),
  note: Type.Optional(Type.String()),
  steps: Type.Integer(),
  inputs: Type.Array(Type.String()),
});

const CandidateSchema = Type.Object({
  basedOn: Type.Integer({ description: 'The version it was learned against' }),
  proposedAt: Type.String({ format: 'date-time' }),
  reason: Type.String({ description: 'The drift the run met' }),
  runId: Type.Optional(Type.String()),
  verified: Type.String({ description: 'How it was verified over HTTP' }),
  changes: Type.Array(Type.String(), { description: 'What changes from the current version, in plain words' }),
  lostInputs: Type.Array(Type.String(), { description: 'Inputs of the current version it does not have (never promoted automatically)' }),
  workflow: Type.Optional(WorkflowSchema),
});

const RunFilterParams = [
  { name: 'workflowId', in: 'query', schema: { type: 'string' }, description: "Only this workflow's runs" },
  { name: 'status', in: 'query', schema: { type: 'string', enum: [...RUN_STATUSES] } },
  { name: 'mode', in: 'query', schema: { type: 'string', enum: [...RUN_ENDED_MODES] }, description: 'The mode the run ended in' },
];

export const API_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: '/v1/hars',
    summary: 'Upload a HAR (JSON, or gzip with Content-Encoding), store it redacted and learn a workflow',
    body: 'har',
    bodyRequired: true,
    params: [{ name: 'name', in: 'query', schema: { type: 'string', maxLength: 200 } }, { name: 'target', in: 'query', schema: { type: 'string', maxLength: 2000 }, description: 'The request whose response is the result' }],
    responses: { '201': ok('The recording and its workflow', LearnResult), '400': err('Invalid HAR, with JSON paths'), '413': err('Over HAR_LIMIT'), '415': err('Neither JSON nor gzip') },
  },
  { method: 'get', path: '/v1/recordings', summary: 'List recordings', params: PageParams, responses: { '200': ok('Recordings', list('recordings', RecordingSchema)), '400': invalid } },
  {
    method: 'post',
    path: '/v1/recordings',
    summary: 'Start a recording in a pooled browser',
    body: StartRecordingBody,
    bodyRequired: true,
    responses: { '201': ok('Recording started', RecordingSchema), '400': err('Invalid request (invalid_request) or actions (invalid_action)'), '429': err('Too many recordings'), '503': err('Browser pool busy') },
  },
  { method: 'get', path: '/v1/recordings/{id}', summary: 'A recording', responses: { '200': ok('The recording', RecordingSchema), '404': notFound } },
  { method: 'get', path: '/v1/recordings/{id}/har', summary: 'Its HAR, secrets redacted', responses: { '200': ok('HAR', Type.Object({ log: Type.Object({}) })), '404': notFound } },
  { method: 'get', path: '/v1/recordings/{id}/requests', summary: 'The requests it holds, to pick a target from', responses: { '200': ok('Requests', Type.Object({ requests: Type.Array(Type.Object({})) })), '404': notFound } },
  {
    method: 'post',
    path: '/v1/recordings/{id}/actions',
    summary: 'Drive an open recording with scripted actions',
    body: ActionsBody,
    bodyRequired: true,
    responses: { '200': ok('The recording with its action log', RecordingSchema), '400': err('Invalid actions (invalid_action)'), '404': notFound, '409': err('Recording not active'), '422': err('An action failed') },
  },
  {
    method: 'post',
    path: '/v1/recordings/{id}/learn',
    summary: 'Learn a workflow again from the recording, with another target',
    body: LearnBody,
    bodyRequired: true,
    responses: { '201': ok('The new workflow', Type.Object({ workflow: WorkflowSchema })), '400': invalid, '404': notFound, '422': err('Nothing to learn for that target') },
  },
  { method: 'post', path: '/v1/recordings/{id}/stop', summary: 'Stop, store and learn', responses: { '201': ok('The recording and its workflow', LearnResult), '404': notFound, '409': err('Not active') } },
  { method: 'get', path: '/v1/workflows', summary: 'List workflows', params: PageParams, responses: { '200': ok('Workflows', list('workflows', WorkflowSummarySchema)), '400': invalid } },
  { method: 'get', path: '/v1/workflows/{id}', summary: 'A workflow: steps, variables and where each value comes from', responses: { '200': ok('Workflow', WorkflowSchema), '404': notFound } },
  {
    method: 'patch',
    path: '/v1/workflows/{id}',
    summary: 'Rename, rename or drop inputs, edit constants, declare steps idempotent, pick the output step or learn again with another target',
    body: WorkflowPatchBody,
    bodyRequired: true,
    responses: { '200': ok('Workflow', WorkflowSchema), '400': err('Invalid edit'), '404': notFound },
  },
  { method: 'delete', path: '/v1/workflows/{id}', summary: 'Delete a workflow', responses: { '204': { description: 'Deleted' }, '404': notFound } },
  {
    method: 'get',
    path: '/v1/workflows/{id}/versions',
    summary: "A workflow's versions, newest first: every edit, learning it again or promotion makes one",
    responses: { '200': ok('Versions, and the candidate healing proposed if any', Type.Object({ current: Type.Integer(), versions: Type.Array(VersionInfo), candidate: Type.Optional(CandidateSchema) })), '404': notFound },
  },
  { method: 'get', path: '/v1/workflows/{id}/versions/{version}', summary: 'The workflow as it was at that version', responses: { '200': ok('Workflow', WorkflowSchema), '404': notFound } },
  {
    method: 'get',
    path: '/v1/workflows/{id}/versions/{version}/changes',
    summary: 'What changed from that version to another (default the current one), in plain words',
    params: [{ name: 'to', in: 'query', schema: { type: 'integer', minimum: 1 } }],
    responses: { '200': ok('Changes', Type.Object({ from: Type.Integer(), to: Type.Integer(), changes: Type.Array(Type.String(), { example: ['step s2: POST http://x/login → POST http://x/signin', 'value csrf now comes from s1: meta[name=csrf] in the HTML (was s1: input[name=_csrf] in the HTML)'] }) })), '404': notFound },
  },
  {
    method: 'post',
    path: '/v1/workflows/{id}/versions/{version}/promote',
    summary: 'Make that version current again (a roll-back): stored as a new version',
    responses: { '200': ok('The workflow, now at a new version with that content', WorkflowSchema), '404': notFound, '409': err('Already current, or the workflow changed meanwhile') },
  },
  { method: 'get', path: '/v1/workflows/{id}/candidate', summary: 'The version healing learned from a drifted run the browser got through, not current yet (heal policy propose)', responses: { '200': ok('Candidate', CandidateSchema), '404': err('No such workflow, or no candidate') } },
  {
    method: 'post',
    path: '/v1/workflows/{id}/candidate/promote',
    summary: 'Make the candidate current (stored as a new version)',
    responses: { '200': ok('The workflow at its new version', WorkflowSchema), '404': err('No such workflow, or no candidate'), '409': err('The workflow changed since the candidate was learned') },
  },
  { method: 'delete', path: '/v1/workflows/{id}/candidate', summary: 'Reject the candidate', responses: { '204': { description: 'Rejected' }, '404': err('No such workflow, or no candidate') } },
  { method: 'get', path: '/v1/workflows/{id}/runs', summary: "A workflow's runs, newest first", params: PageParams, responses: { '200': ok('Runs', list('runs', RunSchema)), '400': invalid, '404': notFound } },
  {
    method: 'post',
    path: '/v1/workflows/{id}/runs',
    summary: 'Run a workflow',
    body: RunBody,
    params: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' } }],
    responses: runResponses(RunSchema),
  },
  { method: 'get', path: '/v1/workflows/{id}/openapi.json', summary: 'The workflow as a typed endpoint', responses: { '200': ok('OpenAPI document', Type.Object({ openapi: Type.String() })), '404': notFound } },
  {
    method: 'get',
    path: '/v1/runs',
    summary: 'Runs of every workflow (or of one), newest first, of a status and mode when asked',
    params: [...RunFilterParams, ...PageParams],
    responses: { '200': ok('Runs; `complete: false` when a filtered search stopped at its bound of 5000 runs read', Type.Object({ runs: Type.Array(RunSchema), limit: Type.Integer(), offset: Type.Integer(), complete: Type.Optional(Type.Boolean()) })), '400': invalid, '404': err('No such workflow') },
  },
  {
    method: 'get',
    path: '/v1/runs/events',
    summary: 'Runs as they are queued, start and finish on any worker (Server-Sent Events: `event: run`, data the Run JSON); and what happens to workflows as their sites change (`event: workflow`, data {kind: "workflow", event: falling_back | healed | candidate_proposed | heal_rejected, workflowId, version, runId, step, reason, changes, at}; workflowId narrows them, status and mode do not apply)',
    params: RunFilterParams,
    responses: { '200': { description: 'An event stream; a comment line every 15 s keeps it open', schema: { type: 'string' }, contentType: 'text/event-stream' }, '400': invalid },
  },
  { method: 'get', path: '/v1/runs/{id}', summary: 'A run', responses: { '200': ok('Run', RunSchema), '404': notFound } },
  { method: 'get', path: '/v1/session', summary: "The console's sign-in: whether a key is needed and whether this browser is signed in", open: true, responses: { '200': ok('State', SessionState) } },
  {
    method: 'post',
    path: '/v1/session',
    summary: 'Sign the console in with an API key: sets an HttpOnly, SameSite=Strict cookie that stands for it (calls that change state with it also send X-Requested-By: replayfarm-console)',
    open: true,
    body: SessionBody,
    bodyRequired: true,
    responses: { '204': { description: 'Signed in (or no key is needed)' }, '400': invalid, '401': err('Not one of the API keys') },
  },
  { method: 'delete', path: '/v1/session', summary: 'Sign the console out (clears the cookie)', open: true, responses: { '204': { description: 'Signed out' } } },
  { method: 'get', path: '/v1/openapi.json', summary: 'This document', responses: { '200': ok('OpenAPI document', Type.Object({ openapi: Type.String() })) } },
  { method: 'get', path: '/healthz', summary: 'Liveness', open: true, responses: { '200': ok('ok', Type.Object({})) } },
  { method: 'get', path: '/readyz', summary: 'Readiness (Redis, browser pool)', open: true, responses: { '200': ok('ready', Type.Object({})), '503': err('Not ready') } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', open: true, responses: { '200': { description: 'text', schema: { type: 'string' }, contentType: 'text/plain' } } },
];

/** The answers of POST …/runs; a workflow's own document passes a run schema typed by its output. */
export function runResponses(run: JsonSchema): Record<string, Answer> {
  return {
    '200': ok('The finished run', run),
    '202': ok('Queued; poll GET /v1/runs/{id}', run),
    '400': err('Invalid options (invalid_request) or inputs (invalid_input), each bad field named in details'),
    '404': err('No such workflow'),
    '415': err('The body is not JSON (send Content-Type: application/json)'),
    '429': err('Queue full or workflow at its concurrency limit; see Retry-After'),
  };
}
