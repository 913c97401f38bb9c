import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { sharedHarsDir } from '../helpers/shared-fixtures.js';

const HARS = sharedHarsDir();

async function upload(app: TestApp, body: Buffer | string, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}/v1/hars?name=upload`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const text = await res.text();
  expect(text, 'no stack trace').not.to.match(/\n\s+at |node_modules/);
  return { status: res.status, json: JSON.parse(text) };
}

/** HAR upload through the real API: every real export accepted or refused with a path, never a 500. */
describe('POST /v1/hars (real HTTP)', function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ harLimitBytes: 50 * 1024 * 1024 });
  });
  after(async () => {
    await app?.close();
  });

  for (const file of readdirSync(HARS).filter((f) => f.endsWith('.har')).sort()) {
    it(`${file} → 201 with a workflow, or 400 naming the problem`, async () => {
      const raw = readFileSync(new URL(file, HARS));
      const { status, json } = await upload(app, raw);
      if (file.startsWith('08-')) {
        expect(status).to.equal(400);
        expect(json.error.code).to.equal('invalid_har');
        expect(json.error.message).to.match(/position|JSON/i);
        expect(json.error.details[0]).to.have.property('path');
        return;
      }
      expect(status, JSON.stringify(json).slice(0, 300)).to.equal(201);
      expect(json.recording).to.include({ source: 'har', status: 'stopped' });
      expect(json.workflow.steps.length).to.be.greaterThan(0);
      // the stored HAR is served back redacted: no Authorization or Cookie value of the upload
      const served = await (await fetch(`${app.url}/v1/recordings/${json.recording.id}/har`)).text();
      const original = JSON.parse(raw.toString('utf8').replace(/^\uFEFF/, ''));
      for (const e of original.log.entries) {
        for (const h of e.request?.headers ?? []) {
          if (!/^(authorization|cookie)$/i.test(h.name)) continue;
          for (const part of String(h.value).split(/;\s*/)) {
            const value = part.includes('=') && !/^Bearer|^Basic/i.test(part) ? part.slice(part.indexOf('=') + 1) : part.replace(/^(Bearer|Basic)\s+/i, '');
            if (value.length >= 12) expect(served, `${h.name} value of ${e.request.url}`).not.to.include(value);
          }
        }
      }
    });
  }

  it('accepts a gzip-compressed HAR (Content-Encoding: gzip)', async () => {
    const gz = gzipSync(readFileSync(new URL('15-playwright-har-fulfill.har', HARS)));
    const { status, json } = await upload(app, gz, { 'content-encoding': 'gzip' });
    expect(status).to.equal(201);
    expect(json.workflow.steps.length).to.be.greaterThan(0);
  });

  it('truncated gzip → 400 invalid_har', async () => {
    const gz = gzipSync(readFileSync(new URL('15-playwright-har-fulfill.har', HARS)));
    const { status, json } = await upload(app, gz.subarray(0, Math.floor(gz.length / 2)), { 'content-encoding': 'gzip' });
    expect(status).to.equal(400);
    expect(json.error.code).to.equal('invalid_har');
  });

  it('a body that is not JSON → 400; JSON that is not a HAR → 400 with a path', async () => {
    const notJson = await upload(app, 'this is not json');
    expect(notJson.status).to.equal(400);
    expect(notJson.json.error.code).to.equal('invalid_har');
    const notHar = await upload(app, JSON.stringify({ hello: 'world' }));
    expect(notHar.status).to.equal(400);
    expect(notHar.json.error.details.map((d: { path: string }) => d.path).join(' ')).to.match(/log/);
  });

  it('a 60 MB upload → 413, and the server keeps serving', async () => {
    const big = Buffer.alloc(60 * 1024 * 1024, 0x20);
    const { status, json } = await upload(app, big);
    expect(status).to.equal(413);
    expect(json.error.code).to.equal('payload_too_large');
    expect((await fetch(`${app.url}/healthz`)).status).to.equal(200);
    const again = await upload(app, readFileSync(new URL('05-mitmproxy-insomnia.har', HARS)));
    expect(again.status).to.equal(201);
  });
});
