import type { Workflow } from '../core/index.js';
import { ActionSchema, API_OPERATIONS, ErrorSchema, RecordingSchema, runRequestSchema, runResponses, runSchema, RunSchema, WorkflowSchema, type ApiOperation } from './schemas/index.js';

/**
 * OpenAPI 3.0 documents: the API's own (GET /v1/openapi.json) and one per workflow. Both are
 * built, on each call, from the schemas in ./schemas/ that the routes check bodies with, so the
 * document and the checks cannot disagree.
 */

type Schema = Record<string, unknown>;

/** Schemas the document names (and refers to by $ref wherever the same object appears). */
const COMPONENTS: Record<string, object> = { Error: ErrorSchema, Run: RunSchema, Recording: RecordingSchema, Workflow: WorkflowSchema, Action: ActionSchema };
const SECURITY_SCHEMES = { bearer: { type: 'http', scheme: 'bearer' } };

/**
 * A plain JSON copy of `schema` (TypeBox's symbol keys dropped), each named component that
 * appears inside it replaced by a $ref. `self` is the component being written out, kept whole.
 */
function plain(schema: unknown, names: ReadonlyMap<object, string>, self?: object): unknown {
  if (Array.isArray(schema)) return schema.map((x) => plain(x, names));
  if (schema === null || typeof schema !== 'object') return schema;
  const name = schema !== self ? names.get(schema) : undefined;
  if (name) return { $ref: `#/components/schemas/${name}` };
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, plain(v, names)]));
}

const json = (schema: unknown) => ({ 'application/json': { schema } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

function requestBody(op: ApiOperation, names: ReadonlyMap<object, string>): Schema | undefined {
  if (!op.body) return undefined;
  if (op.body === 'har') {
    const har = { type: 'object', required: ['log'], properties: { log: { type: 'object' } }, description: 'HAR 1.2' };
    return { required: true, content: { ...json(har), 'application/gzip': { schema: { type: 'string', format: 'binary' } } } };
  }
  return { required: op.bodyRequired ?? false, content: json(plain(op.body, names)) };
}

function operation(op: ApiOperation, names: ReadonlyMap<object, string>): Schema {
  const params = [...(op.path.includes('{id}') ? [idParam] : []), ...(op.params ?? [])];
  const body = requestBody(op, names);
  const responses = Object.fromEntries(
    Object.entries(op.responses).map(([status, a]) => [status, { description: a.description, ...(a.schema ? { content: { [a.contentType ?? 'application/json']: { schema: plain(a.schema, names) } } } : {}) }]),
  );
  return { summary: op.summary, ...(params.length ? { parameters: params } : {}), ...(body ? { requestBody: body } : {}), responses, ...(op.open ? { security: [] } : {}) };
}

export function apiDocument(serverUrl?: string): Schema {
  const names = new Map<object, string>(Object.entries(COMPONENTS).map(([n, s]) => [s, n]));
  const paths: Record<string, Record<string, Schema>> = {};
  for (const op of API_OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op, names);
  return {
    openapi: '3.0.3',
    info: { title: 'replayfarm API', version: '1.0.0', description: 'Record a web workflow, learn its HTTP chain, run it as an API.' },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: Object.fromEntries(Object.entries(COMPONENTS).map(([n, s]) => [n, plain(s, names, s)])),
    },
    security: [{ bearer: [] }],
    paths,
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

/** The JSON Schema of a workflow's inputs (the request of its typed endpoint). */
export function workflowInputsSchema(wf: Workflow): Schema {
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
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}

/** A workflow as one typed endpoint: its inputs are the request schema, its recorded output the response. */
export function workflowDocument(wf: Workflow, serverUrl?: string): Schema {
  const inputs = workflowInputsSchema(wf);
  const names = new Map<object, string>([[ErrorSchema, 'Error']]);
  const responses = Object.fromEntries(
    Object.entries(runResponses(runSchema(toOpenApiSchema(wf.outputSchema)))).map(([status, a]) => [status, { description: a.description, content: json(plain(a.schema, names)) }]),
  );
  return {
    openapi: '3.0.3',
    info: { title: wf.name, version: String(wf.schemaVersion), description: `replayfarm workflow ${wf.id}: ${wf.steps.map((s) => s.description).join(' → ')}` },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: { securitySchemes: SECURITY_SCHEMES, schemas: { Error: plain(ErrorSchema, names, ErrorSchema) } },
    security: [{ bearer: [] }],
    paths: {
      [`/v1/workflows/${wf.id}/runs`]: {
        post: {
          operationId: `run_${wf.id}`,
          summary: `Run ${wf.name}`,
          parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }],
          requestBody: { required: Array.isArray(inputs.required), content: json(plain(runRequestSchema(inputs), names)) },
          responses,
        },
      },
    },
  };
}
