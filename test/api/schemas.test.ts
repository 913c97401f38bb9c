import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Router } from 'express';
import SwaggerParser from '@apidevtools/swagger-parser';
import { createAjv } from '../../core/index.js';
import { apiDocument } from '../../server/openapi.js';
import { recordingRoutes } from '../../server/routes/recordings.js';
import { workflowRoutes } from '../../server/routes/workflows.js';
import { runRoutes } from '../../server/routes/runs.js';
import { openapiRoutes } from '../../server/routes/openapi.js';
import { runEventRoutes } from '../../server/routes/run-events.js';
import { sessionRoutes } from '../../server/routes/session.js';
import { workflowVersionRoutes } from '../../server/routes/workflow-versions.js';
import { API_OPERATIONS, StartRecordingBody } from '../../server/schemas/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api } from './helpers.js';

type Doc = Record<string, any>;
const DEMO_HAR = readFileSync(new URL('../fixtures/hars/demo-site.har', import.meta.url));
/** POST routes that take no body (a bare `curl -X POST`). */
const BODILESS = new Set(['post /v1/recordings/{id}/stop', 'post /v1/workflows/{id}/versions/{version}/promote', 'post /v1/workflows/{id}/candidate/promote']);

/** Every route of the v1 routers, as `method /v1/path/{id}` (the routers are only built: no call reaches their deps). */
function v1Routes(): string[] {
  const none = {} as never;
  const routers: Router[] = [sessionRoutes(none), runEventRoutes(none), workflowVersionRoutes(none), recordingRoutes(none), workflowRoutes(none), runRoutes(none), openapiRoutes(none)];
  const out: string[] = [];
  for (const r of routers) {
    for (const layer of r.stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>) {
      if (!layer.route) continue;
      for (const m of Object.keys(layer.route.methods)) out.push(`${m} /v1${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return out;
}

/** `schema` with every local $ref replaced by what it points at (our documents have no cycles). */
function deref(schema: unknown, doc: Doc, seen: string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((x) => deref(x, doc, seen));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: string }).$ref;
  if (typeof ref === 'string') {
    expect(ref, 'a local $ref').to.match(/^#\//);
    expect(seen, `no $ref cycle through ${ref}`).not.to.include(ref);
    const target = ref.slice(2).split('/').reduce<any>((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    expect(target, `${ref} resolves`).to.be.an('object');
    return deref(target, doc, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, deref(v, doc, seen)]));
}

/** Every schema of a document (components, parameters, bodies, answers), each with where it sits. */
function schemasOf(doc: Doc): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = Object.entries(doc.components?.schemas ?? {}).map(([n, s]) => [`components.${n}`, s]);
  for (const [path, ops] of Object.entries<Doc>(doc.paths)) {
    for (const [method, op] of Object.entries<Doc>(ops)) {
      for (const p of op.parameters ?? []) out.push([`${method} ${path} param ${p.name}`, p.schema]);
      for (const [type, c] of Object.entries<Doc>(op.requestBody?.content ?? {})) out.push([`${method} ${path} body ${type}`, c.schema]);
      for (const [status, a] of Object.entries<Doc>(op.responses)) for (const [type, c] of Object.entries<Doc>(a.content ?? {})) out.push([`${method} ${path} ${status} ${type}`, c.schema]);
    }
  }
  return out;
}

/** Issue 17, "two truths": one schema per body drives both the check and the document. */
describe('api: one schema for the checks and the OpenAPI document', function () {
  this.timeout(60_000);
  const apps: TestApp[] = [];
  after(async () => {
    for (const a of apps) await a.close();
  });

  it('tightening a schema in-process moves both the answer to a bad body and /v1/openapi.json', async () => {
    const bad = { headed: 'yes', name: 'a name of 20 letters', ticket: 7 };
    const before = await startTestApp({}, { worker: false });
    apps.push(before);
    const saved = structuredClone({ required: StartRecordingBody.required, name: StartRecordingBody.properties.name });
    const props = StartRecordingBody.properties as Record<string, any>;
    const body = StartRecordingBody as { required?: string[] };
    try {
      props.name.maxLength = 5;
      props.ticket = { type: 'string', minLength: 3 };
      body.required = [...body.required!, 'ticket'];
      const tight = await startTestApp({}, { worker: false });
      apps.push(tight);
      const answers = [await api(before.url, '/v1/recordings', { body: bad }), await api(tight.url, '/v1/recordings', { body: bad })];
      for (const a of answers) {
        expect(a.status, a.text).to.equal(400);
        expect(a.json.error.code).to.equal('invalid_request');
      }
      const paths = answers.map((a) => a.json.error.details.map((d: { path: string }) => d.path).sort());
      // The app started before the change checks the schema as it was; the one after, as it is.
      expect(paths[0]).to.deep.equal(['headed', 'startUrl']);
      expect(paths[1]).to.deep.equal(['headed', 'name', 'startUrl', 'ticket']);
      expect(answers[1]!.json.error.details.find((d: { path: string }) => d.path === 'name').message).to.equal('must be at most 5 characters');
      const doc = (await api<Doc>(tight.url, '/v1/openapi.json')).json;
      const schema = doc.paths['/v1/recordings'].post.requestBody.content['application/json'].schema;
      expect(schema.properties.name.maxLength).to.equal(5);
      expect(schema.properties.ticket).to.deep.equal({ type: 'string', minLength: 3 });
      expect(schema.required).to.include('ticket');
    } finally {
      props.name = saved.name;
      delete props.ticket;
      body.required = saved.required;
    }
    const doc = (await api<Doc>(before.url, '/v1/openapi.json')).json;
    const schema = doc.paths['/v1/recordings'].post.requestBody.content['application/json'].schema;
    expect(schema.properties.name.maxLength, 'the document follows the restored schema').to.equal(200);
    expect(schema.required).to.deep.equal(['startUrl']);
  });

  it('the action schema of the document is the one the recorder checks with', async () => {
    const app = await startTestApp({}, { worker: false });
    apps.push(app);
    const doc = (await api<Doc>(app.url, '/v1/openapi.json')).json;
    const actions = doc.paths['/v1/recordings/{id}/actions'].post.requestBody.content['application/json'].schema.properties.actions;
    expect(actions.items).to.deep.equal({ $ref: '#/components/schemas/Action' });
    const branches = doc.components.schemas.Action.oneOf.map((b: Doc) => [b.properties.type.enum[0], b.required]);
    expect(branches).to.deep.equal([
      ['goto', ['type', 'url']],
      ['click', ['type', 'selector']],
      ['fill', ['type', 'selector', 'value']],
      ['press', ['type', 'selector', 'key']],
      ['select', ['type', 'selector', 'value']],
      ['waitFor', ['type']],
    ]);
    // what the document says a goto needs is what the API refuses without it
    const start = await api(app.url, '/v1/recordings', { body: { startUrl: 'http://127.0.0.1:9/', actions: [{ type: 'goto' }, { type: 'press', selector: '#q' }] } });
    expect(start.status, start.text).to.equal(400);
    expect(start.json.error.code).to.equal('invalid_action');
    expect(start.json.error.details.map((d: { path: string }) => d.path)).to.deep.equal(['[0].url', '[1].key']);
  });

  it('every route that takes a body has a schema, and every route is in the document', () => {
    const doc = apiDocument() as Doc;
    const routes = v1Routes();
    expect(routes).to.include.members(['post /v1/recordings', 'patch /v1/workflows/{id}', 'post /v1/workflows/{id}/runs']);
    const documented = Object.entries<Doc>(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(documented.filter((d) => d.includes(' /v1/')).sort()).to.deep.equal([...new Set(routes)].sort());
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const op = API_OPERATIONS.find((o) => o.method === method && o.path === path)!;
      if (!['post', 'put', 'patch'].includes(method) || BODILESS.has(route)) continue;
      expect(op.body, `${route} has a body schema`).to.not.equal(undefined);
      const content = doc.paths[path][method].requestBody?.content;
      expect(content, `${route} documents its body`).to.have.property('application/json');
      const schema = deref(content['application/json'].schema, doc) as Doc;
      expect(schema.properties ?? schema.$ref, `${route}: a body schema with fields`).to.be.an('object');
    }
  });

  it('both documents are valid OpenAPI 3: every $ref resolves and every schema compiles in ajv', async () => {
    const app = await startTestApp({}, { worker: false });
    apps.push(app);
    const up = await fetch(`${app.url}/v1/hars?name=schemas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(DEMO_HAR) });
    expect(up.status).to.equal(201);
    const wf = ((await up.json()) as { workflow: { id: string } }).workflow;
    for (const path of ['/v1/openapi.json', `/v1/workflows/${wf.id}/openapi.json`]) {
      const doc = (await api<Doc>(app.url, path)).json;
      await SwaggerParser.validate(structuredClone(doc) as never);
      const schemas = schemasOf(doc);
      expect(schemas.length, path).to.be.greaterThan(path.endsWith('/v1/openapi.json') ? 40 : 5);
      for (const [where, schema] of schemas) {
        const resolved = deref(schema, doc);
        expect(() => createAjv().compile(resolved as object), `${path} ${where}`).not.to.throw();
      }
    }
    // a $ref to nothing is caught (so the walk above means something)
    expect(() => deref({ items: { $ref: '#/components/schemas/Nope' } }, apiDocument())).to.throw(/resolves/);
  });
});
