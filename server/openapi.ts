import type { Workflow } from '../core/index.js';

/** OpenAPI 3.0 documents: the API's own (GET /v1/openapi.json) and one per workflow. */

type Schema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });

const ERROR_SCHEMA: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', example: 'invalid_input' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
};

function runSchema(outputBody: Schema = {}): Schema {
  return {
    type: 'object',
    required: ['id', 'workflowId', 'status'],
    properties: {
      id: { type: 'string' },
      workflowId: { type: 'string' },
      status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
      mode: { type: 'string', enum: ['http', 'browser', 'hybrid'] },
      requestedMode: { type: 'string', enum: ['auto', 'http', 'browser'] },
      session: { type: 'string' },
      output: {
        type: 'object',
        properties: { status: { type: 'integer' }, contentType: { type: 'string' }, body: outputBody },
      },
      steps: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            status: { type: 'string' },
            ms: { type: 'number' },
            attempts: { type: 'integer' },
            httpStatus: { type: 'integer' },
          },
        },
      },
      fallback: { type: 'object', properties: { reason: { type: 'string' }, ms: { type: 'number' } } },
      error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
      durationMs: { type: 'number' },
      createdAt: { type: 'string', format: 'date-time' },
      finishedAt: { type: 'string', format: 'date-time' },
    },
  };
}

function runRequestSchema(inputs: Schema): Schema {
  return {
    type: 'object',
    properties: {
      inputs,
      mode: { type: 'string', enum: ['auto', 'http', 'browser'], default: 'auto' },
      session: { type: 'string', default: 'default', description: 'Session name; runs with the same name share cookies and tokens' },
      wait: { type: 'number', minimum: 0, maximum: 300, default: 30, description: 'Seconds to wait for the result before answering 202' },
      webhook: { type: 'string', format: 'uri', description: 'Called with the finished run, signed with X-Replayfarm-Signature' },
    },
  };
}

const RUN_RESPONSES = (outputBody?: Schema) => ({
  '200': { description: 'The finished run', content: json(runSchema(outputBody)) },
  '202': { description: 'Queued; poll GET /v1/runs/{id}', content: json(runSchema(outputBody)) },
  '400': errorResponse('Invalid inputs (each bad field named in details)'),
  '404': errorResponse('No such workflow'),
  '415': errorResponse('The body is not JSON (send Content-Type: application/json)'),
  '429': errorResponse('Queue full or workflow at its concurrency limit; see Retry-After'),
});

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

export function apiDocument(serverUrl?: string): Schema {
  const ok = (description: string, schema: Schema = { type: 'object' }) => ({ description, content: json(schema) });
  return {
    openapi: '3.0.3',
    info: { title: 'replayfarm API', version: '1.0.0', description: 'Record a web workflow, learn its HTTP chain, run it as an API.' },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: ERROR_SCHEMA, Run: runSchema() },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/hars': {
        post: {
          summary: 'Upload a HAR (JSON, or gzip with Content-Encoding), store it redacted and learn a workflow',
          parameters: [{ name: 'name', in: 'query', schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } }, 'application/gzip': { schema: { type: 'string', format: 'binary' } } } },
          responses: { '201': ok('The recording and its workflow'), '400': errorResponse('Invalid HAR, with JSON paths'), '413': errorResponse('Over HAR_LIMIT'), '415': errorResponse('Neither JSON nor gzip') },
        },
      },
      '/v1/recordings': {
        get: { summary: 'List recordings', responses: { '200': ok('Recordings') } },
        post: {
          summary: 'Start a recording in a pooled browser',
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              required: ['startUrl'],
              properties: { startUrl: { type: 'string', format: 'uri' }, headed: { type: 'boolean' }, name: { type: 'string' }, actions: { type: 'array', items: { type: 'object' } } },
            }),
          },
          responses: { '201': ok('Recording started'), '400': errorResponse('Invalid request'), '429': errorResponse('Too many recordings'), '503': errorResponse('Browser pool busy') },
        },
      },
      '/v1/recordings/{id}': { get: { summary: 'A recording', parameters: [idParam], responses: { '200': ok('The recording'), '404': errorResponse('Not found') } } },
      '/v1/recordings/{id}/har': { get: { summary: 'Its HAR, secrets redacted', parameters: [idParam], responses: { '200': ok('HAR'), '404': errorResponse('Not found') } } },
      '/v1/recordings/{id}/actions': {
        post: {
          summary: 'Drive an open recording with scripted actions',
          parameters: [idParam],
          requestBody: { required: true, content: json({ type: 'object', required: ['actions'], properties: { actions: { type: 'array', items: { type: 'object' } } } }) },
          responses: { '200': ok('The recording with its action log'), '409': errorResponse('Recording not active'), '422': errorResponse('An action failed') },
        },
      },
      '/v1/recordings/{id}/stop': { post: { summary: 'Stop, store and learn', parameters: [idParam], responses: { '201': ok('The recording and its workflow'), '409': errorResponse('Not active') } } },
      '/v1/workflows': { get: { summary: 'List workflows', responses: { '200': ok('Workflows') } } },
      '/v1/workflows/{id}': {
        get: { summary: 'A workflow: steps, variables and where each value comes from', parameters: [idParam], responses: { '200': ok('Workflow'), '404': errorResponse('Not found') } },
        patch: { summary: 'Rename, rename or drop inputs, pick the output step', parameters: [idParam], requestBody: { content: json({ type: 'object' }) }, responses: { '200': ok('Workflow'), '400': errorResponse('Invalid edit') } },
        delete: { summary: 'Delete a workflow', parameters: [idParam], responses: { '204': { description: 'Deleted' }, '404': errorResponse('Not found') } },
      },
      '/v1/workflows/{id}/runs': {
        get: { summary: "A workflow's runs, newest first", parameters: [idParam], responses: { '200': ok('Runs') } },
        post: { summary: 'Run a workflow', parameters: [idParam, { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }], requestBody: { content: json(runRequestSchema({ type: 'object' })) }, responses: RUN_RESPONSES() },
      },
      '/v1/workflows/{id}/openapi.json': { get: { summary: 'The workflow as a typed endpoint', parameters: [idParam], responses: { '200': ok('OpenAPI document') } } },
      '/v1/runs/{id}': { get: { summary: 'A run', parameters: [idParam], responses: { '200': { description: 'Run', content: json(ref('Run')) }, '404': errorResponse('Not found') } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': ok('ok') } } },
      '/readyz': { get: { summary: 'Readiness (Redis, browser pool)', security: [], responses: { '200': ok('ready'), '503': errorResponse('Not ready') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'text', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    },
  };
}

/**
 * The learner infers JSON Schema (draft-07); OpenAPI 3.0 takes a subset of it. Drops what 3.0
 * refuses ($schema, contentMediaType, …), turns `type: "null"` and type lists into `nullable`,
 * and gives arrays without items an open `items`.
 */
export function toOpenApiSchema(schema: unknown): Schema {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return {};
  const out: Schema = {};
  const allowed = new Set(['type', 'properties', 'items', 'required', 'enum', 'format', 'description', 'default', 'example', 'nullable', 'anyOf', 'oneOf', 'allOf', 'additionalProperties', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'pattern', 'title']);
  for (const [k, v] of Object.entries(schema as Schema)) {
    if (!allowed.has(k)) continue;
    if (k === 'properties' && v && typeof v === 'object') {
      out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, sub]) => [p, toOpenApiSchema(sub)]));
    } else if (k === 'items') out.items = toOpenApiSchema(v);
    else if ((k === 'anyOf' || k === 'oneOf' || k === 'allOf') && Array.isArray(v)) out[k] = v.map(toOpenApiSchema);
    else if (k === 'additionalProperties') out[k] = typeof v === 'boolean' ? v : toOpenApiSchema(v);
    else out[k] = v;
  }
  const type = out.type;
  if (Array.isArray(type)) {
    const rest = type.filter((t) => t !== 'null');
    if (rest.length !== type.length) out.nullable = true;
    if (rest.length === 1) out.type = rest[0];
    else delete out.type;
  } else if (type === 'null') {
    delete out.type;
    out.nullable = true;
  }
  if (out.type === 'array' && !out.items) out.items = {};
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  return out;
}

/** A workflow as one typed endpoint: its inputs are the request schema, its recorded output the response. */
export function workflowDocument(wf: Workflow, serverUrl?: string): Schema {
  const properties: Record<string, Schema> = {};
  for (const input of wf.inputs) {
    properties[input.name] = {
      type: input.type,
      description: input.description,
      ...(input.secret ? { format: 'password', writeOnly: true } : {}),
      ...(input.default !== undefined ? { default: input.default } : {}),
    };
  }
  const required = wf.inputs.filter((i) => i.required).map((i) => i.name);
  const inputs: Schema = { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
  return {
    openapi: '3.0.3',
    info: { title: wf.name, version: String(wf.schemaVersion), description: `replayfarm workflow ${wf.id}: ${wf.steps.map((s) => s.description).join(' → ')}` },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: ERROR_SCHEMA } },
    security: [{ bearer: [] }],
    paths: {
      [`/v1/workflows/${wf.id}/runs`]: {
        post: {
          operationId: `run_${wf.id}`,
          summary: `Run ${wf.name}`,
          parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
          requestBody: { required: required.length > 0, content: json(runRequestSchema(inputs)) },
          responses: RUN_RESPONSES(toOpenApiSchema(wf.outputSchema)),
        },
      },
    },
  };
}
