import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { SecretBox, type Workflow } from '../../core/index.js';
import type { FixtureSite } from '../fixtures/site/index.js';
import { SessionStore, type StoredSession } from '../../replayer/session-store.js';
import { hits, openReplayerEnv } from './env.js';
import { fixtureWorkflow } from './fixture-workflow.js';

/** Every value under the prefix, whatever its type, as one string. */
async function everything(env: Awaited<ReturnType<typeof openReplayerEnv>>): Promise<{ keys: string[]; text: string }> {
  const { redis, store } = env;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', store.prefix + '*', 'COUNT', 500);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const parts: string[] = [];
  for (const k of keys) {
    const type = await redis.type(k);
    parts.push(k);
    if (type === 'string') parts.push((await redis.get(k)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(k)));
    else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(k, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(k)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(k, 0, -1, 'WITHSCORES')));
    else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(k, '-', '+')));
    else parts.push(`<${type}>`);
  }
  return { keys, text: parts.join('\n') };
}

describe('sessions are sealed at rest in Redis', function () {
  this.timeout(60_000);
  let env: Awaited<ReturnType<typeof openReplayerEnv>>;
  let site: FixtureSite;
  let wf: Workflow;
  let key: string;
  /** Reads sessions as the replayer does (opened with the same key). */
  let reader: SessionStore;

  before(async () => {
    env = await openReplayerEnv('session-sealed');
    site = await env.site();
    wf = fixtureWorkflow(site.url, env.secretBox);
    reader = new SessionStore({ store: env.store, logger: env.logger, secretBox: env.secretBox });
    key = reader.key(wf.id, 'default');
  });
  after(async () => {
    await reader?.close();
    await env?.close();
  });

  let session: StoredSession;
  let sid: string;
  let csrf: string;

  it('a run that logs in leaves neither the session cookie nor the CSRF token in clear anywhere under the prefix', async () => {
    const run = await env.replayer().run(wf, { inputs: { title: 'sealed' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(hits(site, 'POST /login')).to.equal(1);

    session = (await reader.load(key))!;
    expect(session, 'stored session').to.not.equal(undefined);
    sid = String(session.jar.cookies.find((c) => c.key === 'sid')?.value ?? '');
    csrf = String(session.tokens.csrf_token ?? '');
    expect(sid).to.have.length.greaterThan(15);
    expect(csrf).to.have.length.greaterThan(15);

    const { keys, text } = await everything(env);
    expect(keys).to.include(key);
    expect(text).to.not.include(sid);
    expect(text).to.not.include(csrf);
    for (const v of Object.values(session.tokens)) expect(text).to.not.include(String(v));
    expect(await env.redis.hget(key, 'data')).to.match(/^v1\./);
  });

  it('the next run, in another process (a replayer with an empty cache), opens it and reuses the session: no new login', async () => {
    const run = await env.replayer().run(wf, { inputs: { title: 'sealed again' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(run.steps.slice(0, 2).map((s) => s.status)).to.deep.equal(['reused', 'reused']);
    expect(hits(site, 'POST /login')).to.equal(1);
  });

  it('a session stored in clear before sealing is used as it is once and sealed in place', async () => {
    const clear = JSON.stringify(session);
    await env.redis.hset(key, 'data', clear);
    const version = await env.redis.hget(key, 'version');
    const run = await env.replayer().run(wf, { inputs: { title: 'from clear' } });
    expect(run.status, JSON.stringify(run.error)).to.equal('succeeded');
    expect(hits(site, 'POST /login')).to.equal(1);
    let data = '';
    for (let i = 0; i < 50 && !data.startsWith('v1.'); i++) {
      data = (await env.redis.hget(key, 'data')) ?? '';
      if (!data.startsWith('v1.')) await new Promise((r) => setTimeout(r, 20));
    }
    expect(data).to.match(/^v1\./);
    expect(await env.redis.hget(key, 'version')).to.equal(version);
    expect((await everything(env)).text).to.not.include(sid);
  });

  it('a session sealed with another key is a fresh login, saved over it, then reused', async () => {
    const box = new SecretBox(randomBytes(32));
    // The workflow's sealed password cannot be opened with that key either: given as an input.
    const inputs = { password: 's3cret-pass' };
    const first = await env.replayer({ secretBox: box }).run(wf, { inputs: { ...inputs, title: 'other key' } });
    expect(first.status, JSON.stringify(first.error)).to.equal('succeeded');
    expect(hits(site, 'POST /login')).to.equal(2);
    const second = await env.replayer({ secretBox: box }).run(wf, { inputs: { ...inputs, title: 'other key again' } });
    expect(second.status, JSON.stringify(second.error)).to.equal('succeeded');
    expect(hits(site, 'POST /login')).to.equal(2);
  });
});
