import { readdirSync, readFileSync } from 'node:fs';
import { sharedHarsDir } from '../helpers/shared-fixtures.js';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import harValidator from 'har-validator';
import { AppError } from '../../core/index.js';
import { ingestHar } from '../../recorder/index.js';

const HARS = sharedHarsDir();
const LIMIT = 50 * 1024 * 1024;
const files = readdirSync(fileURLToPath(HARS)).filter((f) => f.endsWith('.har'));

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected a rejection');
}

describe('recorder: HAR ingest', () => {
  it('finds the shared fixtures', () => {
    expect(files.length).to.be.greaterThan(15);
  });

  for (const f of files) {
    const broken = f.startsWith('08-');
    it(`${broken ? 'rejects' : 'accepts'} ${f}`, async () => {
      const body = readFileSync(new URL(f, HARS));
      if (broken) {
        const err = await rejection(ingestHar(body, { limitBytes: LIMIT }));
        expect(err.code).to.equal('invalid_har');
        expect(err.message).to.match(/not JSON/);
        expect(err.details?.[0]).to.include({ path: '', position: 22 });
        return;
      }
      const { har, warnings } = await ingestHar(body, { limitBytes: LIMIT });
      await harValidator.har(har); // the normalised HAR passes the strict schema
      expect(har.log.entries.length).to.be.greaterThan(0);
      expect(warnings).to.be.an('array');
    });
  }

  it('reports each quirk it normalised, with a path', async () => {
    const chrome = await ingestHar(readFileSync(new URL('01-mitmproxy-chrome-devtools.har', HARS)), { limitBytes: LIMIT });
    expect(chrome.warnings.join('\n')).to.match(/serverIPAddress.*at log\.entries\[1\]\.serverIPAddress/);
    expect(chrome.har.log.entries[1]!._rfFailed).to.equal(true);
    const charles = await ingestHar(readFileSync(new URL('04-mitmproxy-charles-proxy.har', HARS)), { limitBytes: LIMIT });
    expect(charles.har.log.entries[0]!.response.redirectURL).to.equal('');
    const firebug = await ingestHar(readFileSync(new URL('18-haralyzer-firebug-cnn.har', HARS)), { limitBytes: LIMIT });
    expect(firebug.warnings.join('\n')).to.match(/cookie expires/);
    const ipv6 = await ingestHar(readFileSync(new URL('24-har2openapi-chrome-all-methods-statuses.har', HARS)), { limitBytes: LIMIT });
    expect(ipv6.har.log.entries[0]!.serverIPAddress).to.not.match(/^\[/);
    expect(ipv6.warnings.length).to.be.lessThan(20); // aggregated, not one per entry
  });

  it('accepts gzip (by header or magic bytes) and a BOM', async () => {
    const raw = readFileSync(new URL('15-playwright-har-fulfill.har', HARS));
    const gz = gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw]));
    expect((await ingestHar(gz, { contentEncoding: 'gzip', limitBytes: LIMIT })).har.log.entries).to.have.length(5);
    expect((await ingestHar(gz, { limitBytes: LIMIT })).har.log.entries).to.have.length(5);
  });

  it('rejects a body over the limit with payload_too_large, plain or as a gzip bomb', async () => {
    const big = Buffer.alloc(60 * 1024 * 1024, 0x20);
    expect((await rejection(ingestHar(big, { limitBytes: LIMIT }))).code).to.equal('payload_too_large');
    const bomb = gzipSync(big);
    expect(bomb.length).to.be.lessThan(1024 * 1024);
    expect((await rejection(ingestHar(bomb, { contentEncoding: 'gzip', limitBytes: LIMIT }))).code).to.equal('payload_too_large');
  });

  it('rejects truncated gzip with invalid_har', async () => {
    const gz = gzipSync(readFileSync(new URL('15-playwright-har-fulfill.har', HARS)));
    const err = await rejection(ingestHar(gz.subarray(0, gz.length >> 1), { contentEncoding: 'gzip', limitBytes: LIMIT }));
    expect(err.code).to.equal('invalid_har');
    expect(err.message).to.match(/decompress/);
  });

  it('rejects what is not JSON, or JSON that is not a HAR, naming the path', async () => {
    const cases: Array<[string, string]> = [
      ['hello', ''],
      ['null', ''],
      ['[]', ''],
      ['{"log":{}}', 'log.entries'],
      ['{"log":{"entries":[1]}}', 'log.entries[0]'],
      ['{"log":{"entries":[{"request":{}}]}}', 'log.entries[0].response'],
    ];
    for (const [body, path] of cases) {
      const err = await rejection(ingestHar(Buffer.from(body), { limitBytes: LIMIT }));
      expect(err.code, body).to.equal('invalid_har');
      expect(err.details?.[0]?.path, body).to.equal(path);
    }
  });

  it('maps har-validator errors to JSON paths', async () => {
    const har = JSON.parse(readFileSync(new URL('15-playwright-har-fulfill.har', HARS), 'utf8'));
    har.log.entries[3].response.status = 'two hundred';
    delete har.log.entries[2].request.url;
    const err = await rejection(ingestHar(Buffer.from(JSON.stringify(har)), { limitBytes: LIMIT }));
    expect(err.code).to.equal('invalid_har');
    const paths = err.details!.map((d) => d.path);
    expect(paths).to.include('log.entries[3].response.status');
    expect(paths).to.include('log.entries[2].request');
    expect(err.message).to.match(/^HAR is invalid: log\.entries/);
  });

  it('never fails with anything but an AppError (fuzz)', async () => {
    const base = readFileSync(new URL('05-mitmproxy-insomnia.har', HARS), 'utf8');
    const bodies: Buffer[] = [
      Buffer.alloc(0),
      Buffer.from('['.repeat(200_000) + ']'.repeat(200_000)),
      Buffer.from(`{"log":{"entries":[],"_x":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}}`),
      Buffer.from([0x1f, 0x8b, 0, 1, 2]),
      Buffer.from(JSON.stringify({ log: { entries: [{ request: {}, response: {} }] } })),
    ];
    for (let i = 0; i < 30; i++) bodies.push(randomBytes(1 + (i * 37) % 400));
    for (let i = 0; i < 30; i++) {
      // Corrupt one byte of a valid HAR at a spread of positions.
      const b = Buffer.from(base);
      b[(i * 997) % b.length] = 0x7b + (i % 5);
      bodies.push(b);
    }
    for (const body of bodies) {
      try {
        await ingestHar(body, { limitBytes: LIMIT });
      } catch (err) {
        expect(err, String(err)).to.be.instanceOf(AppError);
        expect((err as AppError).statusCode).to.be.within(400, 499);
      }
    }
  });
});
