import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { Recording, Workflow } from '../../core/index.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { requestWhilePolling, uploadWhilePolling } from '../helpers/upload-while-polling.js';
import { formPost, har, html, json, jsonPost, ORIGIN, type Ex } from './learner-har-builder.js';

/**
 * A login, `pages` JSON pages of `items` items each (about 5.4 kB an item list of 50), and the
 * order the workflow is about: ~40 MB at the default size, the kind of HAR that used to hold the
 * API's event loop for seconds.
 */
function bigHar(pages = 5700, items = 50): Buffer {
  const ex: Ex[] = [
    { url: `${ORIGIN}/login`, ...html('<form method="post"><input type="hidden" name="csrf" value="csrf0123456789abcdef"></form>'), setCookies: { sid: 'sid0123456789abcdef0123' } },
    { url: `${ORIGIN}/login`, post: formPost({ user: 'ann', password: 'correct horse battery', csrf: 'csrf0123456789abcdef' }), cookies: { sid: 'sid0123456789abcdef0123' }, location: `${ORIGIN}/shop` },
  ];
  for (let p = 0; p < pages; p++) {
    const list = Array.from({ length: items }, (_, k) => ({ id: `it-${p}-${k}`, name: `Item ${k} of page ${p}, a fairly long product name`, price: (k * 1.25).toFixed(2), tags: ['new', 'sale'] }));
    ex.push({ url: `${ORIGIN}/api/items?page=${p}`, cookies: { sid: 'sid0123456789abcdef0123' }, ...json({ page: p, items: list }) });
  }
  ex.push({ url: `${ORIGIN}/api/orders`, cookies: { sid: 'sid0123456789abcdef0123' }, post: jsonPost({ item: 'it-3-7', qty: 2 }), status: 201, ...json({ order: 'ord_42', item: 'it-3-7', qty: 2 }) });
  return Buffer.from(JSON.stringify(har(ex)));
}

const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

async function upload(app: TestApp, body: Buffer, query = 'name=big') {
  const res = await fetch(`${app.url}/v1/hars?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: new Uint8Array(body) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

describe('HAR uploads are processed off the event loop', function () {
  this.timeout(120_000);
  let app: TestApp;
  /** The big HAR's recording, once uploaded. */
  let big: Recording | undefined;
  before(async () => {
    app = await startTestApp({ harLimitBytes: 50 * 1024 * 1024 });
  });
  after(async () => {
    await app?.close();
  });

  it('keeps /healthz answering fast while a ~40 MB HAR is decoded, validated and learned', async () => {
    const body = bigHar();
    expect(body.length).to.be.within(30e6, 48e6);
    const mb = body.length / 1e6;
    const { status, text, seconds, lat } = await uploadWhilePolling(app.url, body, { query: 'name=big' });
    const up = { status, text, json: JSON.parse(text) };
    const max = Math.max(...lat);
    process.stderr.write(`      ${mb.toFixed(1)} MB upload: ${seconds.toFixed(2)} s; /healthz during it: ${lat.length} polls, p99 ${p99(lat).toFixed(1)} ms, max ${max.toFixed(1)} ms\n`);
    expect(up.status, up.text.slice(0, 300)).to.equal(201);
    expect(up.json.recording).to.include({ source: 'har', status: 'stopped', entryCount: 5703 });
    big = up.json.recording as Recording;
    const wf = up.json.workflow as Workflow;
    expect(wf.steps.length).to.be.greaterThan(0);
    expect(JSON.stringify(wf.steps)).to.include('/api/orders');
    expect(lat.length).to.be.greaterThan(10);
    expect(max, `slowest /healthz during the upload (ms); all: ${lat.map((x) => x.toFixed(0)).join(' ')}`).to.be.lessThan(500);
  });

  it('learns the big recording again, lists its requests and serves its HAR without holding /healthz up', async () => {
    expect(big, 'the upload test ran first').to.not.equal(undefined);
    const slowest = (lat: number[]) => `slowest /healthz (ms); all: ${lat.map((x) => x.toFixed(0)).join(' ')}`;
    // Parsed on this thread, each of these held the loop for 0.5 to 3 s with a HAR this size.
    const learned = await requestWhilePolling(app.url, { method: 'POST', path: `/v1/recordings/${big!.id}/learn`, body: Buffer.from(JSON.stringify({ target: 'GET /api/items' })), contentType: 'application/json' });
    expect(learned.status, learned.text.slice(0, 300)).to.equal(201);
    const wf = JSON.parse(learned.text).workflow as Workflow;
    expect(wf.recordingId).to.equal(big!.id);
    expect(JSON.stringify(wf.steps)).to.include('/api/items');
    expect(Math.max(...learned.lat), slowest(learned.lat)).to.be.lessThan(250);

    const listed = await requestWhilePolling(app.url, { method: 'GET', path: `/v1/recordings/${big!.id}/requests` });
    expect(listed.status, listed.text.slice(0, 300)).to.equal(200);
    const requests = JSON.parse(listed.text).requests as Array<{ entry: number; method: string; url: string }>;
    expect(requests).to.have.length(5703);
    expect(requests[5702]).to.include({ entry: 5702, method: 'POST', url: `${ORIGIN}/api/orders` });
    expect(Math.max(...listed.lat), slowest(listed.lat)).to.be.lessThan(250);

    const served = await requestWhilePolling(app.url, { method: 'GET', path: `/v1/recordings/${big!.id}/har` });
    expect(served.status).to.equal(200);
    expect(served.text).not.to.include('correct horse battery');
    expect(JSON.parse(served.text).log.entries).to.have.length(5703);
    expect(Math.max(...served.lat), slowest(served.lat)).to.be.lessThan(250);
  });

  it('serves a HAR gzip-compressed as stored to a client that takes gzip, and plain JSON to one that does not', async () => {
    const up = await upload(app, bigHar(3, 2), 'name=encodings');
    expect(up.status, up.text.slice(0, 300)).to.equal(201);
    const id = (up.json.recording as Recording).id;
    const get = (encoding: string) =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        httpGet(`${app.url}/v1/recordings/${id}/har`, { headers: { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    const gz = await get('gzip, deflate');
    expect(gz.headers['content-encoding']).to.equal('gzip');
    expect(gz.headers['content-type']).to.match(/^application\/json/);
    expect(gz.headers.vary).to.match(/Accept-Encoding/i);
    const plain = await get('identity');
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.headers['content-type']).to.match(/^application\/json/);
    expect(gunzipSync(gz.body).equals(plain.body)).to.equal(true);
    expect(JSON.parse(plain.body.toString('utf8')).log.entries).to.have.length(6);
    const missing = await fetch(`${app.url}/v1/recordings/rec_00000000000000000000/har`);
    expect(missing.status).to.equal(404);
    expect((await missing.json()).error.code).to.equal('not_found');
  });

  it('stores what the worker made: the HAR redacted, and a sealed copy that learning again can open', async () => {
    const up = await upload(app, bigHar(20, 5), 'name=small');
    expect(up.status, up.text.slice(0, 300)).to.equal(201);
    const rec = up.json.recording as Recording;
    const served = await (await fetch(`${app.url}/v1/recordings/${rec.id}/har`)).text();
    expect(served).not.to.include('sid0123456789abcdef0123');
    expect(served).not.to.include('correct horse battery');
    expect(JSON.parse(served).log.entries).to.have.length(23);
    // The sealed capture (sealed in the worker) opens with the server's key: learning again works.
    const again = await fetch(`${app.url}/v1/recordings/${rec.id}/learn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ target: 'GET /api/items' }) });
    const againText = await again.text();
    expect(again.status, againText.slice(0, 300)).to.equal(201);
    expect(JSON.parse(againText).workflow.steps.length).to.be.greaterThan(0);
    expect(app.logs()).not.to.include('correct horse battery');
  });

  it('answers as before when nothing can be learned: 422 learn_failed, the recording stored', async () => {
    const empty = { log: { version: '1.2', creator: { name: 'x', version: '1' }, entries: [] } };
    const up = await upload(app, Buffer.from(JSON.stringify(empty)), 'name=empty');
    expect(up.status, up.text).to.equal(422);
    expect(up.json.error.code).to.equal('learn_failed');
    const id = up.json.error.details[0].recordingId as string;
    const rec = await (await fetch(`${app.url}/v1/recordings/${id}`)).json();
    expect(rec).to.include({ status: 'stopped', name: 'empty', entryCount: 0 });
    expect(rec.error.code).to.equal('learn_failed');
  });

  it('keeps the exact errors of the worker: invalid_har with its path, 413 after gunzip, bad gzip', async () => {
    const notHar = await upload(app, Buffer.from('{"log":{"entries":"no"}}'));
    expect(notHar.status).to.equal(400);
    expect(notHar.json.error).to.deep.equal({ code: 'invalid_har', message: 'HAR is invalid: log.entries should be an array, got a string', details: [{ path: 'log.entries', message: 'should be an array, got a string' }] });
    const deep = `{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[],"_x":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}}`;
    const deepUp = await upload(app, Buffer.from(deep));
    expect(deepUp.status, deepUp.text.slice(0, 300)).to.be.within(400, 499);
    const badGz = await fetch(`${app.url}/v1/hars`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xff]) });
    const badGzJson = await badGz.json();
    expect(badGz.status).to.equal(400);
    expect(badGzJson.error.code).to.equal('invalid_har');
    expect(badGzJson.error.message).to.match(/^HAR is invalid: the gzip body cannot be decompressed/);
  });
});
