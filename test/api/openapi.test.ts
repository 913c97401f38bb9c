import { expect } from 'chai';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { Workflow } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api, recordFixtureWorkflow } from './helpers.js';

type Doc = Record<string, any>;

describe('api: OpenAPI documents', function () {
  this.timeout(120_000);
  let site: FixtureSite;
  let app: TestApp;
  let wf: Workflow;

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
    app = await startTestApp({}, { worker: false });
    wf = await recordFixtureWorkflow(app.url, site, 'openapi');
  });
  after(async () => {
    await app?.close();
    await site?.close();
  });

  it('GET /v1/openapi.json is a valid OpenAPI 3 document of the API', async () => {
    const a = await api<Doc>(app.url, '/v1/openapi.json');
    expect(a.status).to.equal(200);
    const doc = a.json;
    await SwaggerParser.validate(structuredClone(doc) as never);
    expect(doc.openapi).to.match(/^3\./);
    for (const path of ['/v1/workflows/{id}/runs', '/v1/runs/{id}', '/v1/hars', '/v1/recordings', '/v1/workflows/{id}/openapi.json']) {
      expect(doc.paths, path).to.have.property(path);
    }
    expect(doc.paths['/v1/workflows/{id}/runs'].post.responses).to.include.keys('200', '202', '400', '429');
  });

  it('a broken document is refused by the validator (so the checks above mean something)', async () => {
    const a = await api<Doc>(app.url, '/v1/openapi.json');
    const broken = structuredClone(a.json);
    broken.paths['/v1/runs/{id}'].get.responses['200'].content['application/json'].schema = { $ref: '#/components/schemas/Nope' };
    let failed = false;
    await SwaggerParser.validate(broken as never).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });

  it('GET /v1/workflows/:id/openapi.json is valid and types the workflow inputs and output', async () => {
    const a = await api<Doc>(app.url, `/v1/workflows/${wf.id}/openapi.json`);
    expect(a.status, a.text).to.equal(200);
    const doc = a.json;
    await SwaggerParser.validate(structuredClone(doc) as never);
    const op = doc.paths[`/v1/workflows/${wf.id}/runs`]?.post;
    expect(op, 'the run operation').to.be.an('object');
    const inputs = op.requestBody.content['application/json'].schema.properties.inputs;
    expect(inputs.type).to.equal('object');
    expect(inputs.additionalProperties).to.equal(false);
    expect(inputs.properties).to.include.keys('username', 'password', 'query', 'title');
    expect(Object.keys(inputs.properties)).to.have.members(wf.inputs.map((i) => i.name));
    expect(inputs.properties.query).to.include({ type: 'string', default: 'apple' });
    expect(inputs.properties.title).to.include({ type: 'string', default: 'My new item' });
    expect(inputs.properties.password).to.include({ type: 'string', format: 'password', writeOnly: true });
    expect(inputs.properties.password).not.to.have.property('default');
    expect(JSON.stringify(doc)).not.to.contain('s3cret-pass');
    // the output is the read-back item, typed from the recorded response
    const body = op.responses['200'].content['application/json'].schema.properties.output.properties.body;
    expect(body.type).to.equal('object');
    expect(body.properties).to.include.keys('id', 'title', 'owner');
  });

  it('an unknown workflow → 404 not_found', async () => {
    const a = await api(app.url, '/v1/workflows/wf_nope/openapi.json');
    expect(a.status).to.equal(404);
    expect(a.json.error.code).to.equal('not_found');
  });
});
