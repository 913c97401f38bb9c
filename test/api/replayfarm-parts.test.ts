import { expect } from 'chai';
import { createLogger, createRedis, newId, RedisStore, SecretBox, type Run } from '../../core/index.js';
import { WorkflowCache } from '../../replayer/index.js';
import { Replayfarm } from '../../server/replayfarm.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { testPrefix } from '../helpers/prefix.js';
import { fixtureWorkflow } from '../replayer/fixture-workflow.js';
import { api } from './helpers.js';

// The composition root builds nothing that does I/O in its constructor, connects in start(), and
// takes a replacement for any part: a part given is used, and left open (it is the giver's).
describe('api: the composition root connects in start() and takes replacements', function () {
  this.timeout(120_000);
  let site: FixtureSite;
  const silent = createLogger({ silent: true });

  before(async () => {
    site = await startFixtureSite({ pollIntervalMs: 60_000 });
  });
  after(async () => {
    await site?.close();
  });

  it('the constructor does not connect to Redis; start() does', async () => {
    const rf = new Replayfarm({ env: {}, logger: silent, api: false, worker: false, config: { keyPrefix: testPrefix('root'), port: 0, host: '127.0.0.1' } });
    try {
      expect(rf.redis.status).to.equal('wait');
      await rf.start();
      expect(rf.redis.status).to.equal('ready');
      await rf.store.ping();
    } finally {
      await rf.store.clear().catch(() => {});
      await rf.close();
    }
  });

  it('runs go through the parts given (Redis, store, workflow cache, SecretBox), which stay open after close()', async () => {
    const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keyPrefix = testPrefix('parts');
    const store = new RedisStore({ redis, prefix: keyPrefix });
    // The HAR ingest threads seal with the configured key: the box given is that key's.
    const secretKey = 'b'.repeat(64);
    const secretBox = SecretBox.fromString(secretKey);
    const workflows = new WorkflowCache({ store });
    const rf = new Replayfarm({ env: {}, logger: silent, redis, store, secretBox, workflows, config: { port: 0, host: '127.0.0.1', allowLoopback: true, secretKey, keyPrefix } });
    try {
      const url = await rf.listen();
      expect(rf.store).to.equal(store);
      expect(rf.secretBox).to.equal(secretBox);
      const wf = fixtureWorkflow(site.url, secretBox, newId('wf'));
      await store.put('workflow', wf.id, wf);
      const res = await api<Run>(url, `/v1/workflows/${wf.id}/runs`, { body: { inputs: { title: 'given parts' }, mode: 'http' } });
      expect(res.status, res.text).to.equal(200);
      expect(res.json.status, JSON.stringify(res.json.error)).to.equal('succeeded');
      // The route (and the worker) used the cache given: it holds the workflow now.
      expect(workflows.cached(wf.id)?.wf.id).to.equal(wf.id);
      await rf.close();
      // The client given is the giver's to close.
      expect(redis.status).to.equal('ready');
      expect(await store.get('workflow', wf.id)).to.deep.equal(wf);
    } finally {
      await rf.close();
      await store.clear().catch(() => {});
      await redis.quit();
    }
  });

  it('a store without the client it uses is refused', () => {
    const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    const store = new RedisStore({ redis, prefix: testPrefix('refused') });
    expect(() => new Replayfarm({ env: {}, logger: silent, store })).to.throw(TypeError, /store replacement/);
    redis.disconnect();
  });
});
