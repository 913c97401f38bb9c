import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import {
  AppError,
  ConfigError,
  createLogger,
  createRedis,
  loadConfig,
  parseBytes,
  RedisStore,
  SecretBox,
  toPublicError,
  withContext,
} from '../../core/index.js';
import { testPrefix } from '../helpers/prefix.js';

describe('core/config', () => {
  it('has documented defaults', () => {
    const c = loadConfig({});
    expect(c).to.include({ host: '127.0.0.1', port: 3000, redisUrl: 'redis://127.0.0.1:6379', keyPrefix: 'rf:', harLimitBytes: 50 * 1024 * 1024 });
    expect(c.apiKeys).to.deep.equal([]);
  });
  it('a bad value names the variable', () => {
    expect(() => loadConfig({ PORT: '70000' })).to.throw(ConfigError, /^PORT: /);
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).to.throw(ConfigError, /^REDIS_URL: /);
    expect(() => loadConfig({ ALLOW_LOOPBACK_TARGETS: 'maybe' })).to.throw(ConfigError, /ALLOW_LOOPBACK_TARGETS/);
    expect(() => loadConfig({ SECRET_KEY: 'short' })).to.throw(ConfigError, /SECRET_KEY/);
    expect(() => loadConfig({ POOL_MIN: '5', POOL_MAX: '2' })).to.throw(ConfigError, /POOL_MIN/);
  });
  it('parses sizes and lists', () => {
    expect(parseBytes('1mb')).to.equal(1048576);
    expect(parseBytes('512kb')).to.equal(524288);
    expect(loadConfig({ API_KEYS: ' a, b ,,c ' }).apiKeys).to.deep.equal(['a', 'b', 'c']);
  });
});

describe('core/logger', () => {
  it('writes JSON lines with the request id and redacts secrets', () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const log = createLogger({ format: 'json', stream }).child({ module: 'test' });
    withContext({ requestId: 'req_1' }, () => {
      log.info('calling site', { headers: { Authorization: 'Bearer abc.def', Cookie: 'sid=xyz', accept: 'text/html' }, password: 'hunter2', form: { csrf_token: 'tok123', q: 'apple' } });
    });
    const line = JSON.parse(out.trim());
    expect(line).to.include({ message: 'calling site', requestId: 'req_1', module: 'test', password: '[REDACTED]' });
    expect(line.headers).to.deep.equal({ Authorization: '[REDACTED]', Cookie: '[REDACTED]', accept: 'text/html' });
    expect(line.form).to.deep.equal({ csrf_token: '[REDACTED]', q: 'apple' });
    expect(out).not.to.match(/abc\.def|xyz|hunter2|tok123/);
  });

  it('does not even format a line below the level (child loggers too), and writes those at or above it', () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (d: Buffer) => (out += d.toString()));
    const log = createLogger({ format: 'json', stream, level: 'warn' }).child({ module: 'test' });
    let read = 0;
    const meta = {
      get detail() {
        read++;
        return 'x';
      },
    };
    log.http('request', meta);
    log.debug('debugging', meta);
    log.info('info', meta);
    expect(read, 'the meta of a disabled line was never read').to.equal(0);
    expect(out).to.equal('');
    log.warn('careful', meta);
    log.error('broken', meta);
    expect(read).to.be.greaterThan(0);
    expect(out.trim().split('\n').map((l) => JSON.parse(l).message)).to.deep.equal(['careful', 'broken']);
  });
});

describe('core/errors', () => {
  it('AppError carries code and status; unknown errors expose nothing', () => {
    const e = new AppError('invalid_har', 'bad', { details: [{ path: 'log', message: 'x' }] });
    expect(e.statusCode).to.equal(400);
    expect(toPublicError(e)).to.deep.equal({ code: 'invalid_har', message: 'bad', details: [{ path: 'log', message: 'x' }] });
    expect(toPublicError(new Error('secret db password in message'))).to.deep.equal({ code: 'internal', message: 'Internal error' });
  });
});

describe('core/secret-box', () => {
  it('seals and opens; tampering fails', () => {
    const box = SecretBox.fromString('ab'.repeat(32));
    const sealed = box.seal('s3cret-pass');
    expect(sealed).to.match(/^v1\./);
    expect(sealed).not.to.include('s3cret');
    expect(box.open(sealed)).to.equal('s3cret-pass');
    const bad = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(() => box.open(bad)).to.throw();
  });
});

describe('core/store (real Redis)', () => {
  const redis = createRedis('redis://127.0.0.1:6379');
  const store = new RedisStore({ redis, prefix: testPrefix('store') });
  after(async () => {
    await store.clear();
    await redis.quit();
  });

  it('puts, gets, lists newest first, deletes', async () => {
    await store.put('workflow', 'a', { id: 'a' }, { score: 1 });
    await store.put('workflow', 'b', { id: 'b' }, { score: 2 });
    expect(await store.get('workflow', 'a')).to.deep.equal({ id: 'a' });
    expect((await store.list<{ id: string }>('workflow')).map((w) => w.id)).to.deep.equal(['b', 'a']);
    expect(await store.delete('workflow', 'a')).to.equal(true);
    expect(await store.get('workflow', 'a')).to.equal(undefined);
  });

  it('trims a named index and deletes the old records', async () => {
    for (let i = 0; i < 5; i++) await store.put('run', `r${i}`, { i }, { score: i, indexes: ['runs:wf1'] });
    const removed = await store.trimIndex('run', 'runs:wf1', 2);
    expect(removed).to.deep.equal(['r0', 'r1', 'r2']);
    expect((await store.list<{ i: number }>('run', { index: 'runs:wf1' })).map((r) => r.i)).to.deep.equal([4, 3]);
    expect(await store.get('run', 'r0')).to.equal(undefined);
  });

  it('stores blobs compressed', async () => {
    const text = JSON.stringify({ log: { entries: Array.from({ length: 200 }, () => ({ a: 'same text' })) } });
    await store.putBlob('har:x', text);
    const raw = await redis.getBuffer(store.key('blob', 'har:x'));
    expect(raw!.length).to.be.lessThan(text.length / 5);
    expect((await store.getBlob('har:x'))!.toString()).to.equal(text);
  });

  it('keeps one generated secret key when none is configured', async () => {
    const a = await store.secretBox(undefined);
    const b = await store.secretBox(undefined);
    expect(b.open(a.seal('x'))).to.equal('x');
  });
});
