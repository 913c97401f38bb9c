import { expect } from 'chai';
import { RedisServer, freePort } from '../helpers/redis-server.js';
import { runCli } from '../cli/cli-helpers.js';
import { CliProcess } from '../scale/processes.js';
import { testPrefix } from '../helpers/prefix.js';
import { hasHashTag, isClusterUrl, redactRedisUrl } from '../../core/index.js';

const SECRET_KEY = 'ab'.repeat(32);
const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Issue #18.5: what replayfarm says about Redis: once per state change, with the URL (password hidden) and what to do. */
describe('Redis, honestly: messages and the eviction policy', function () {
  this.timeout(90_000);
  const procs: CliProcess[] = [];
  const servers: RedisServer[] = [];
  const serve = (redisUrl: string, env: Record<string, string> = {}) => {
    const p = new CliProcess('serve', ['serve'], { REDIS_URL: redisUrl, KEY_PREFIX: testPrefix('honest'), SECRET_KEY, PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', RECORDING_LIVENESS_MS: '900', ...env });
    procs.push(p);
    return p;
  };
  const redis = async (args: string[] = []) => {
    const s = new RedisServer(await freePort(), undefined, args);
    servers.push(s);
    await s.start();
    return s;
  };
  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('URLs in messages hide the password; a cluster prefix needs a non-empty hash tag', () => {
    expect(redactRedisUrl('redis://:secret@host:6379/2')).to.equal('redis://:***@host:6379/2');
    expect(redactRedisUrl('rediss://user:p%40ss@host:6380')).to.equal('rediss://user:***@host:6380');
    expect(redactRedisUrl('redis+cluster://:secret@10.0.0.1:7000')).to.equal('redis+cluster://:***@10.0.0.1:7000');
    expect(redactRedisUrl('redis://host:6379')).to.equal('redis://host:6379');
    expect(isClusterUrl('redis+cluster://h:1')).to.equal(true);
    expect(isClusterUrl('rediss+cluster://h:1')).to.equal(true);
    expect(isClusterUrl('redis://h:1')).to.equal(false);
    expect(['{rf}:', 'app:{rf}:', 'rf:', '{}rf:', '{}{rf}:', 'rf}{:'].map(hasHashTag)).to.deep.equal([true, true, false, false, false, false]);
  });

  it('the CLI names the URL it could not reach (password hidden) and what to do, without suggesting SECRET_KEY', async () => {
    const port = await freePort();
    const r = await runCli(['workflows'], { env: { REDIS_URL: `redis://:hunter2@127.0.0.1:${port}`, SECRET_KEY: '', KEY_PREFIX: testPrefix('honest') } });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include(`Redis at redis://:***@127.0.0.1:${port} is not reachable (connect ECONNREFUSED 127.0.0.1:${port})`);
    expect(r.stderr).to.match(/start Redis there, or set REDIS_URL/);
    expect(r.stderr + r.stdout).not.to.match(/hunter2|SECRET_KEY|Stream isn't writeable/);
    expect(count(r.stderr, /not reachable/)).to.equal(1);
  });

  it('serve with Redis down from the start says so once, with the URL and what to do', async () => {
    const port = await freePort();
    const p = serve(`redis://:hunter2@127.0.0.1:${port}`);
    await p.waitFor(/API listening on/);
    await sleep(4000); // several reconnects and liveness ticks
    const out = p.output();
    expect(count(out, new RegExp(`Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} is unreachable: start Redis there, or set REDIS_URL`)), out).to.equal(1);
    expect(out).not.to.match(/hunter2|Stream isn't writeable|liveness check failed|connection error|queue error/);
  });

  it('Redis going away and coming back: one line each way; a policy other than noeviction is warned about once', async () => {
    const s = await redis(['--maxmemory-policy', 'allkeys-lru']);
    const p = serve(s.url);
    await p.waitFor(/API listening on/);
    await p.waitFor(/maxmemory-policy allkeys-lru/, 10_000);
    await s.stop();
    await p.waitFor(/is unreachable/, 10_000);
    await sleep(4000);
    await s.start();
    await p.waitFor(/is reachable again/, 15_000);
    const out = p.output();
    expect(count(out, /is unreachable/), out).to.equal(1);
    expect(count(out, /is reachable again/), out).to.equal(1);
    expect(count(out, /maxmemory-policy allkeys-lru: under memory pressure it may evict .*Set maxmemory-policy noeviction/), out).to.equal(1);
    expect(out).not.to.match(/Stream isn't writeable|liveness check failed|connection error|queue error|ECONNREFUSED.*ECONNREFUSED/);
  });

  it('says once that the policy could not be checked when CONFIG is refused (managed Redis), and nothing when it is noeviction', async () => {
    const managed = await redis(['--rename-command', 'CONFIG', '']);
    const p = serve(managed.url);
    await p.waitFor(/could not check Redis's maxmemory-policy/, 20_000);
    const good = await redis(['--maxmemory-policy', 'noeviction']);
    const q = serve(good.url, { WORKER_CONCURRENCY: '1' });
    await q.waitFor(/API listening on/);
    await sleep(500);
    expect(count(p.output(), /could not check/)).to.equal(1);
    expect(q.output()).not.to.match(/maxmemory-policy/);
  });
});
