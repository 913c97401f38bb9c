import { readdirSync, readFileSync } from 'node:fs';
import { sharedHarsDir } from '../helpers/shared-fixtures.js';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { AppError, type Recording, type Workflow } from '../../core/index.js';
import { recorderRig, type RecorderRig } from './helpers.js';

const HARS = sharedHarsDir();

async function metric(rig: RecorderRig, name: string, labels: Record<string, string>): Promise<number> {
  const m = rig.registry.getSingleMetric(name);
  if (!m) return 0;
  const v = (await m.get()).values.find((x) => Object.entries(labels).every(([k, val]) => (x.labels as Record<string, unknown>)[k] === val));
  return v?.value ?? 0;
}

describe('recorder: HAR uploads through the manager', function () {
  this.timeout(120_000);
  let rig: RecorderRig;
  before(async () => {
    rig = await recorderRig('recorder-ingest');
  });
  after(async () => {
    await rig?.close();
  });

  it('stores every fixture (redacted) with its workflow, or rejects it with invalid_har and a path', async () => {
    const manager = rig.manager();
    for (const f of readdirSync(fileURLToPath(HARS)).filter((x) => x.endsWith('.har'))) {
      const body = readFileSync(new URL(f, HARS));
      try {
        const { recording, workflow } = await manager.ingest(f.startsWith('03') ? gzipSync(body) : body, { contentEncoding: f.startsWith('03') ? 'gzip' : undefined, name: f });
        expect(f.startsWith('08'), f).to.equal(false);
        expect(recording).to.include({ source: 'har', status: 'stopped', name: f, workflowId: workflow.id });
        expect(await rig.store.get<Recording>('recording', recording.id)).to.deep.equal(recording);
        expect((await rig.store.get<Workflow>('workflow', workflow.id))?.id).to.equal(workflow.id);
        const stored = await manager.getHar(recording.id);
        expect(stored.log.entries.length).to.equal(recording.entryCount);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        expect(err.code, `${f}: ${err.message}`).to.equal('invalid_har');
        expect(f).to.match(/^08-/);
        expect(err.details?.[0]).to.have.property('path');
      }
    }
    expect(await metric(rig, 'replayfarm_har_ingest_total', { result: 'invalid_har' })).to.equal(1);
    expect(await metric(rig, 'replayfarm_har_ingest_total', { result: 'ok' })).to.equal(18);
  });

  it('keeps the bearer token of a real export out of storage', async () => {
    const manager = rig.manager();
    const body = readFileSync(new URL('10-mitmproxy-export-protobuf-binary-posts.har', HARS), 'utf8');
    const token = /Bearer (ya29[^"]+)/.exec(body)![1]!;
    const { recording } = await manager.ingest(Buffer.from(body));
    const blob = (await rig.store.getBlob(`har:${recording.id}`))!.toString('utf8');
    expect(blob).to.not.include(token);
    expect(blob).to.include('Bearer [REDACTED]');
  });

  it('stores the recording even when nothing can be learned, and says learn_failed', async () => {
    const manager = rig.manager();
    const empty = { log: { version: '1.2', creator: { name: 'x', version: '1' }, entries: [] } };
    try {
      await manager.ingest(Buffer.from(JSON.stringify(empty)), { name: 'empty' });
      throw new Error('accepted');
    } catch (err) {
      expect((err as AppError).code).to.equal('learn_failed');
      const id = (err as AppError).details?.[0]?.recordingId as string;
      const rec = await manager.get(id);
      expect(rec).to.include({ status: 'stopped', name: 'empty', entryCount: 0 });
      expect(rec.error?.code).to.equal('learn_failed');
      expect(rec.workflowId).to.equal(undefined);
      expect((await manager.getHar(id)).log.entries).to.deep.equal([]);
    }
    expect(await metric(rig, 'replayfarm_har_ingest_total', { result: 'learn_failed' })).to.equal(1);
  });

  it('answers odd bodies with a 4xx AppError, never anything else', async () => {
    const manager = rig.manager();
    const valid = readFileSync(new URL('15-playwright-har-fulfill.har', HARS), 'utf8');
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const bodies = [
      Buffer.from(valid.replace('"entries": [', `"_deep": ${deep}, "entries": [`)),
      Buffer.from(`{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[],"_x":${deep}}}`),
      Buffer.from('null'),
      Buffer.from('{"log":{"entries":"no"}}'),
      Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff]),
    ];
    for (const body of bodies) {
      try {
        await manager.ingest(body);
      } catch (err) {
        expect(err, String(err)).to.be.instanceOf(AppError);
        expect((err as AppError).statusCode).to.be.within(400, 499);
      }
    }
  });

  it('answers a 60 MB upload with payload_too_large', async () => {
    const manager = rig.manager({ harLimitBytes: 50 * 1024 * 1024 });
    try {
      await manager.ingest(Buffer.alloc(60 * 1024 * 1024, 0x20));
      throw new Error('accepted');
    } catch (err) {
      expect((err as AppError).code).to.equal('payload_too_large');
      expect((err as AppError).statusCode).to.equal(413);
    }
  });
});
