import { once } from 'node:events';
import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { createRedis, loadConfig, ConfigError, RedisStore, type Run, type Workflow } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { CliProcess } from '../scale/processes.js';
import { api, recordFixtureWorkflow } from '../api/helpers.js';

/**
 * The product on a real three-master Redis Cluster started here (REDIS_URL redis+cluster://, a
 * hash-tagged KEY_PREFIX): store, HAR upload, a run queued through the API and executed by a
 * separate worker process, workflow deletion (SCAN on every master).
 *
 * Honest note: the hash tag puts every key of one prefix in ONE slot, hence on one master: the
 * cluster is served correctly, but one replayfarm installation does not spread its keys.
 */
describe('Redis Cluster (three local masters)', function () {
  this.timeout(90_000);
  const cluster = new RedisCluster();
  const prefix = `{rfc-${process.pid}}:`;
  let client: Cluster;
  let site: FixtureSite;
  let app: TestApp;
  let worker: CliProcess | undefined;

  before(async () => {
    await cluster.start();
    client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
    site = await startFixtureSite();
    // no worker in the API's process: the run must be executed by the worker process spawned below
    app = await startTestApp({ redisUrl: cluster.url, keyPrefix: prefix }, { worker: false });
    if (client.status !== 'ready') await once(client, 'ready');
  });
  after(async () => {
    await worker?.stop();
    await app?.close();
    await site?.close();
    client?.disconnect();
    await cluster.stop();
  });

  it('refuses a cluster URL with a prefix that has no hash tag, naming KEY_PREFIX', () => {
    expect(() => loadConfig({ REDIS_URL: cluster.url, KEY_PREFIX: 'rf:' })).to.throw(ConfigError, /KEY_PREFIX.*hash tag.*\{rf\}:/);
    expect(loadConfig({ REDIS_URL: cluster.url, KEY_PREFIX: '{rf}:' }).keyPrefix).to.equal('{rf}:');
  });

  it('the store reads, writes, lists, deletes and clears on the cluster', async () => {
    const redis = createRedis(cluster.url);
    const store = new RedisStore({ redis, prefix: `{rfc-store-${process.pid}}:` });
    try {
      await store.ping(5000);
      expect(store.isCluster).to.equal(true);
      expect(store.servers()).to.have.length(3);
      await store.put('workflow', 'w1', { n: 1 }, { indexes: ['a'] });
      await store.put('workflow', 'w2', { n: 2 }, { indexes: ['a'] });
      expect(await store.list('workflow', { index: 'a' })).to.deep.equal([{ n: 2 }, { n: 1 }]);
      expect(await store.modify<{ n: number }>('workflow', 'w1', (v) => ({ n: v.n + 10 }))).to.equal(true);
      expect(await store.get('workflow', 'w1')).to.deep.equal({ n: 11 });
      await store.putBlob('b', 'x'.repeat(1000));
      expect((await store.getBlob('b'))!.toString()).to.have.length(1000);
      const gone = await store.deleteMatching('workflow:*');
      expect(gone.sort()).to.deep.equal([store.key('workflow', 'index'), store.key('workflow', 'w1'), store.key('workflow', 'w2')].sort());
      await store.clear();
      expect(await keysOnCluster(client, store.prefix)).to.deep.equal([]);
      // duplicate() (pub/sub subscribers) gives a cluster client too: a publish reaches it
      const sub = store.duplicate({ enableOfflineQueue: true, lazyConnect: false });
      try {
        expect(sub).to.be.instanceOf(Cluster);
        await sub.subscribe(store.key('chan'));
        const got = once(sub, 'message');
        await store.call((r) => r.publish(store.key('chan'), 'hello'));
        expect((await got)[1]).to.equal('hello');
      } finally {
        sub.disconnect();
      }
    } finally {
      redis.disconnect();
    }
  });

  it('a HAR upload is learned, a run queued through the API is executed by a separate worker, and the workflow is deleted', async () => {
    // the HAR comes from a scripted recording on this very cluster-backed API
    const recorded = await recordFixtureWorkflow(app.url, site, 'on a cluster');
    const har = await api(app.url, `/v1/recordings/${recorded.recordingId}/har`);
    expect(har.status, har.text).to.equal(200);
    const learned = await api<{ workflow: Workflow }>(app.url, '/v1/hars?name=cluster', { body: har.json });
    expect(learned.status, learned.text).to.equal(201);
    const id = learned.json.workflow.id;

    worker = new CliProcess('worker', ['worker'], { REDIS_URL: cluster.url, KEY_PREFIX: prefix, ALLOW_LOOPBACK_TARGETS: 'true', LOG_LEVEL: 'warn', WORKER_HTTP_PORT: '0' });
    await worker.waitFor(/worker started/);
    const res = await api<Run>(app.url, `/v1/workflows/${id}/runs`, { body: { mode: 'http', wait: 30, inputs: { password: 's3cret-pass' } } });
    expect(res.status, res.text + worker.output()).to.equal(200);
    expect(res.json).to.include({ status: 'succeeded', mode: 'http' });
    expect(worker.output()).not.to.match(/CROSSSLOT|MOVED|ClusterAllFailed|Unhandled/);

    // every key of the installation is on the cluster, under the tagged prefix, in one slot
    const keys = await keysOnCluster(client, prefix);
    expect(keys.some((k) => k.startsWith(`${prefix}runs:`)), 'bull keys').to.equal(true);
    expect(keys).to.include(`${prefix}run:${res.json.id}`);
    const slots = new Set(await Promise.all(keys.map((k) => client.cluster('KEYSLOT', k))));
    expect(slots.size).to.equal(1);

    const del = await api(app.url, `/v1/workflows/${id}`, { method: 'DELETE' });
    expect(del.status, del.text).to.be.oneOf([200, 204]);
    expect(await api(app.url, `/v1/workflows/${id}`).then((a) => a.status)).to.equal(404);
    const left = await keysOnCluster(client, prefix);
    expect(left.filter((k) => k.includes(id)), 'keys of the deleted workflow').to.deep.equal([]);
    expect(left).not.to.include(`${prefix}run:${res.json.id}`);
  });
});

/** Every key under `prefix`, from a SCAN of each master. */
async function keysOnCluster(client: Cluster, prefix: string): Promise<string[]> {
  const all: string[] = [];
  for (const node of client.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', prefix + '*', 'COUNT', 1000);
      cursor = next;
      all.push(...keys);
    } while (cursor !== '0');
  }
  return all;
}
