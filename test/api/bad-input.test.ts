import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { Workflow } from '../../core/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { api } from './helpers.js';

const NO_STACK = /\n\s+at |node_modules|\.ts:\d+/;
const DEMO_HAR = readFileSync(new URL('../fixtures/hars/demo-site.har', import.meta.url));
/** Well-shaped ids (what newId makes) that name nothing. */
const NO_WF = 'wf_0123456789abcdef0123';
const NO_REC = 'rec_0123456789abcdef0123';
const NO_RUN = 'run_0123456789abcdef0123';

interface Raw {
  status: number;
  contentType: string;
  text: string;
  json: any;
}

/** One call with exactly these headers and body bytes (fetch adds no content type for a Uint8Array). */
async function raw(url: string, method: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body) });
  const text = await res.text();
  expect(text, 'no stack trace in a response').not.to.match(NO_STACK);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

/** The API's error shape, with this status and code. */
function expectError(a: Raw, status: number, code: string): void {
  expect(a.status, a.text).to.equal(status);
  expect(a.contentType).to.match(/application\/json/);
  expect(a.json.error.code, a.text).to.equal(code);
  expect(a.json.error.message).to.be.a('string').and.not.be.empty;
}

/** Writes bytes on a fresh TCP connection and returns everything the server sent until it closed. */
function rawHttp(base: string, bytes: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(Buffer.concat(chunks).toString('latin1')) : reject(err)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.write(bytes);
  });
}

/** Splits a raw HTTP/1.1 answer into status, headers (lower-case names) and body. */
function parseRaw(answer: string): { status: number; headers: Record<string, string>; body: string } {
  const end = answer.indexOf('\r\n\r\n');
  expect(end, `an HTTP answer: ${JSON.stringify(answer.slice(0, 200))}`).to.be.greaterThan(0);
  const [statusLine, ...lines] = answer.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).trim().toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine!)?.[1]), headers, body: answer.slice(end + 4) };
}

/** Issue 16, "Bad input" (items 6 to 9): refused in the API's error format, never a 500 or a run. */
describe('api: bad input (real HTTP, real Redis)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let wf: Workflow;
  let recordingId: string;

  before(async () => {
    // No worker: a run that got through would stay queued, and the runs list shows it.
    app = await startTestApp({}, { worker: false });
    const up = await raw(`${app.url}/v1/hars?name=bad-input`, 'POST', DEMO_HAR, { 'content-type': 'application/json' });
    expect(up.status, up.text.slice(0, 300)).to.equal(201);
    wf = up.json.workflow;
    recordingId = up.json.recording.id;
  });
  after(async () => {
    await app?.close();
  });

  describe('6: bodies that are not JSON → 415 unsupported_media_type', () => {
    const runBody = JSON.stringify({ inputs: {}, wait: 0 });

    it('POST …/runs with text/plain, form-encoded or no content type starts no run', async () => {
      const url = `${app.url}/v1/workflows/${wf.id}/runs`;
      expectError(await raw(url, 'POST', runBody, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
      expectError(await raw(url, 'POST', 'wait=0', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
      expectError(await raw(url, 'POST', runBody), 415, 'unsupported_media_type');
      expectError(await raw(url, 'POST', runBody, { 'content-type': 'multipart/form-data; boundary=x' }), 415, 'unsupported_media_type');
      // a declared non-JSON type with an empty body is refused too: the caller said it is not JSON
      expectError(await raw(url, 'POST', '', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
      const runs = await api(app.url, `/v1/workflows/${wf.id}/runs`);
      expect(runs.status, runs.text).to.equal(200);
      expect(runs.json.runs, 'no run was queued').to.deep.equal([]);
    });

    it('every other body-taking route answers 415 for a text/plain body', async () => {
      const calls: Array<[string, string, string]> = [
        ['POST', '/v1/recordings', JSON.stringify({ startUrl: 'http://127.0.0.1:9/' })],
        ['POST', `/v1/recordings/${recordingId}/actions`, JSON.stringify({ actions: [] })],
        ['POST', `/v1/recordings/${recordingId}/learn`, JSON.stringify({ target: '#0' })],
        ['POST', `/v1/recordings/${recordingId}/stop`, '{}'],
        ['PATCH', `/v1/workflows/${wf.id}`, JSON.stringify({ name: 'renamed by text/plain' })],
        ['POST', '/v1/hars?name=plain', DEMO_HAR.toString('utf8')],
      ];
      for (const [method, path, body] of calls) {
        const a = await raw(`${app.url}${path}`, method, body, { 'content-type': 'text/plain' });
        expectError(a, 415, 'unsupported_media_type');
      }
      const after = await api<Workflow>(app.url, `/v1/workflows/${wf.id}`);
      expect(after.json.name).not.to.equal('renamed by text/plain');
    });

    it('POST /v1/hars still takes application/json, +json, and gzip (as Content-Encoding or as application/gzip)', async () => {
      const gz = gzipSync(DEMO_HAR);
      const ok = [
        await raw(`${app.url}/v1/hars?name=j`, 'POST', DEMO_HAR, { 'content-type': 'application/json; charset=utf-8' }),
        await raw(`${app.url}/v1/hars?name=h`, 'POST', DEMO_HAR, { 'content-type': 'application/har+json' }),
        await raw(`${app.url}/v1/hars?name=g`, 'POST', gz, { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
        await raw(`${app.url}/v1/hars?name=z`, 'POST', gz, { 'content-type': 'application/gzip' }),
      ];
      for (const a of ok) expect(a.status, a.text.slice(0, 300)).to.equal(201);
      expectError(await raw(`${app.url}/v1/hars`, 'POST', DEMO_HAR), 415, 'unsupported_media_type');
      expectError(await raw(`${app.url}/v1/hars`, 'POST', gz, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }), 415, 'unsupported_media_type');
    });

    it('no body and no content type still works where the body is optional', async () => {
      // stop and runs take an empty POST (what `curl -X POST` and fetch without a body send)
      expectError(await raw(`${app.url}/v1/recordings/${NO_REC}/stop`, 'POST'), 404, 'not_found');
      expectError(await raw(`${app.url}/v1/workflows/${NO_WF}/runs`, 'POST'), 404, 'not_found');
      expectError(await raw(`${app.url}/v1/workflows/${NO_WF}/runs`, 'POST', ''), 404, 'not_found');
      // an empty body declared as JSON is {} too
      expectError(await raw(`${app.url}/v1/workflows/${NO_WF}/runs`, 'POST', '', { 'content-type': 'application/json' }), 404, 'not_found');
      // and DELETE needs no body
      const del = await raw(`${app.url}/v1/workflows/${NO_WF}`, 'DELETE');
      expectError(del, 404, 'not_found');
    });
  });

  describe('7: what was a 500 is a 400', () => {
    it('%ff in any :id → 400 invalid_request', async () => {
      const json = { 'content-type': 'application/json' };
      const calls: Array<[string, string, string?]> = [
        ['GET', '/v1/workflows/%ff'],
        ['PATCH', '/v1/workflows/%ff', '{"name":"x"}'],
        ['DELETE', '/v1/workflows/%ff'],
        ['GET', '/v1/workflows/%ff/runs'],
        ['POST', '/v1/workflows/%ff/runs', '{}'],
        ['GET', '/v1/workflows/%ff/openapi.json'],
        ['GET', '/v1/runs/%ff'],
        ['GET', '/v1/recordings/%ff'],
        ['GET', '/v1/recordings/%ff/har'],
        ['GET', '/v1/recordings/%ff/requests'],
        ['POST', '/v1/recordings/%ff/actions', '{"actions":[]}'],
        ['POST', '/v1/recordings/%ff/learn', '{"target":"#0"}'],
        ['POST', '/v1/recordings/%ff/stop'],
        ['GET', '/v1/workflows/wf_%E0%A4%A/runs'],
      ];
      for (const [method, path, body] of calls) {
        const a = await raw(`${app.url}${path}`, method, body, body === undefined ? {} : json);
        expect(a.status, `${method} ${path}: ${a.text}`).to.equal(400);
        expectError(a, 400, 'invalid_request');
      }
    });

    for (const type of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      it(`action type "${type}" → 400 invalid_action naming [0].type`, async () => {
        const start = await api(app.url, '/v1/recordings', { body: { startUrl: 'http://127.0.0.1:9/', actions: [{ type, selector: '#a' }] } });
        expect(start.status, start.text).to.equal(400);
        expect(start.json.error.code).to.equal('invalid_action');
        expect(start.json.error.details[0].path).to.equal('[0].type');
        // a body whose JSON literally spells "__proto__" as a key, too
        const literal = await raw(`${app.url}/v1/recordings`, 'POST', `{"startUrl":"http://127.0.0.1:9/","actions":[{"type":"${type}","__proto__":{"selector":"#a"}}]}`, { 'content-type': 'application/json' });
        expectError(literal, 400, 'invalid_action');
      });
    }

    it('Content-Encoding: gzip with a body that is not gzip → 400 on a JSON route (and a real gzip body still works)', async () => {
      const gz = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
      expectError(await raw(`${app.url}/v1/workflows/${wf.id}/runs`, 'POST', '{"wait":0}', gz), 400, 'invalid_request');
      expectError(await raw(`${app.url}/v1/recordings`, 'POST', '{"startUrl":"http://127.0.0.1:9/"}', gz), 400, 'invalid_request');
      expectError(await raw(`${app.url}/v1/workflows/${wf.id}`, 'PATCH', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), gz), 400, 'invalid_request');
      // the HAR upload says it in its own words
      expectError(await raw(`${app.url}/v1/hars`, 'POST', '{"log":{}}', gz), 400, 'invalid_har');
      const patched = await raw(`${app.url}/v1/workflows/${wf.id}`, 'PATCH', gzipSync('{"name":"gzip rename"}'), gz);
      expect(patched.status, patched.text).to.equal(200);
      expect(patched.json.name).to.equal('gzip rename');
      const runs = await api(app.url, `/v1/workflows/${wf.id}/runs`);
      expect(runs.json.runs, 'no run was queued').to.deep.equal([]);
    });
  });

  describe('8: ids of the wrong shape address nothing', () => {
    const wrong = ['index', 'idx', 'wf_index', 'wf_0123', 'WF_0123456789ABCDEF0123', 'rec_0123456789abcdef0123', 'wf_0123456789abcdef0123:x', 'secret-key', 'run_index'];

    // a well-shaped id of another kind (rec_… on a workflow route) names nothing there either
    it('workflow, run and recording routes answer 404 not_found (never 503) for ids newId could not have made', async () => {
      for (const id of wrong) {
        const e = encodeURIComponent(id);
        const calls: Array<[string, string, unknown?]> = [
          ['GET', `/v1/workflows/${e}`],
          ['PATCH', `/v1/workflows/${e}`, { name: 'x' }],
          ['DELETE', `/v1/workflows/${e}`],
          ['GET', `/v1/workflows/${e}/runs`],
          ['POST', `/v1/workflows/${e}/runs`, { wait: 0 }],
          ['GET', `/v1/workflows/${e}/openapi.json`],
          ['GET', `/v1/runs/${e}`],
          ['GET', `/v1/recordings/${e}`],
          ['GET', `/v1/recordings/${e}/har`],
          ['GET', `/v1/recordings/${e}/requests`],
          ['POST', `/v1/recordings/${e}/actions`, { actions: [] }],
          ['POST', `/v1/recordings/${e}/learn`, { target: '#0' }],
          ['POST', `/v1/recordings/${e}/stop`],
        ];
        for (const [method, path, body] of calls) {
          const a = await api(app.url, path, { method, body });
          expect(a.status, `${method} ${path}: ${a.text}`).to.equal(404);
          expect(a.json.error.code).to.equal('not_found');
        }
      }
      // the index keys are untouched, and listing still works
      const list = await api(app.url, '/v1/workflows');
      expect(list.status, list.text).to.equal(200);
      expect(list.json.workflows.map((w: Workflow) => w.id)).to.include(wf.id);
      expect(await app.rf.redis.type(app.rf.store.key('workflow', 'index'))).to.equal('zset');
    });

    it('well-shaped ids that name nothing are 404 too, and real ids still work', async () => {
      for (const path of [`/v1/workflows/${NO_WF}`, `/v1/runs/${NO_RUN}`, `/v1/recordings/${NO_REC}`, `/v1/workflows/${NO_WF}/runs`]) {
        const a = await api(app.url, path);
        expect(a.status, `${path}: ${a.text}`).to.equal(404);
      }
      expect((await api(app.url, `/v1/workflows/${wf.id}`)).status).to.equal(200);
      expect((await api(app.url, `/v1/recordings/${recordingId}`)).status).to.equal(200);
      expect((await api(app.url, `/v1/workflows/${wf.id}/openapi.json`)).status).to.equal(200);
    });

    it('the store keeps its index keys out of the id namespace', async () => {
      const store = app.rf.store;
      expect(await store.get('workflow', 'index')).to.equal(undefined);
      expect(await store.get('run', 'index')).to.equal(undefined);
      expect(await store.get('recording', 'index')).to.equal(undefined);
      let refused: unknown;
      await store.put('workflow', 'index', { id: 'index' }).catch((err: unknown) => (refused = err));
      expect(refused, 'put under the index key').to.be.instanceOf(Error);
      expect(await app.rf.redis.type(store.key('workflow', 'index'))).to.equal('zset');
      expect((await store.list<Workflow>('workflow')).map((w) => w.id)).to.include(wf.id);
    });
  });

  describe('9: malformed HTTP gets the API error format', () => {
    it('oversized headers → 431 with {error:{code:"header_too_large"}}', async () => {
      const { host } = new URL(app.url);
      const answer = parseRaw(await rawHttp(app.url, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
      expect(answer.status).to.equal(431);
      expect(answer.headers['content-type']).to.match(/application\/json/);
      expect(answer.headers.connection).to.equal('close');
      expect(Number(answer.headers['content-length'])).to.equal(Buffer.byteLength(answer.body));
      expect(JSON.parse(answer.body).error.code).to.equal('header_too_large');
    });

    it('a malformed request line or header → 400 with {error:{code:"invalid_request"}}', async () => {
      const { host } = new URL(app.url);
      for (const bytes of ['GARBAGE\r\n\r\n', `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nBad Header\r\n\r\n`, `POST /v1/recordings HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}`]) {
        const answer = parseRaw(await rawHttp(app.url, bytes));
        expect(answer.status, JSON.stringify(bytes)).to.equal(400);
        expect(answer.headers['content-type']).to.match(/application\/json/);
        const body = JSON.parse(answer.body);
        expect(body.error.code).to.equal('invalid_request');
        expect(body.error.message).to.be.a('string').and.not.match(NO_STACK);
      }
      // the server still serves
      expect((await api(app.url, '/healthz')).status).to.equal(200);
    });
  });
});
