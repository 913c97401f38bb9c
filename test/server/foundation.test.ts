import { expect } from 'chai';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { RedisServer, freePort } from '../helpers/redis-server.js';

const NO_STACK = /\n\s+at |node_modules|\.ts:\d+/;

async function call(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  expect(text, 'no stack trace in a response').not.to.match(NO_STACK);
  return { res, text, json: /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined };
}

describe('server foundation (real HTTP, real Redis)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ bodyLimitBytes: 1024 });
  });
  after(async () => {
    await app?.close();
  });

  it('GET /healthz answers 200', async () => {
    const { res, json } = await call(`${app.url}/healthz`);
    expect(res.status).to.equal(200);
    expect(json).to.deep.equal({ status: 'ok' });
  });

  it('GET /readyz answers 200 with Redis up', async () => {
    const { res, json } = await call(`${app.url}/readyz`);
    expect(res.status).to.equal(200);
    expect(json.checks.redis).to.equal('ok');
  });

  it('GET /metrics is Prometheus text with the http histogram', async () => {
    await call(`${app.url}/healthz`);
    const { res, text } = await call(`${app.url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/text\/plain/);
    expect(text).to.match(/# TYPE http_request_duration_seconds histogram/);
    expect(text).to.match(/http_request_duration_seconds_count\{route="\/healthz",method="GET",status="200"\} \d+/);
    expect(text).to.match(/process_cpu_user_seconds_total/);
  });

  it('malformed JSON → 400 invalid_json', async () => {
    const { res, json } = await call(`${app.url}/v1/workflows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(res.status).to.equal(400);
    expect(json.error.code).to.equal('invalid_json');
    expect(json.error.message).to.be.a('string');
  });

  it('a body over the limit → 413 payload_too_large', async () => {
    const body = JSON.stringify({ x: 'y'.repeat(5000) });
    const { res, json } = await call(`${app.url}/v1/workflows`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).to.equal(413);
    expect(json.error.code).to.equal('payload_too_large');
  });

  it('an unknown route → 404 JSON not_found', async () => {
    const { res, json } = await call(`${app.url}/nope/${'x'.repeat(10)}`);
    expect(res.status).to.equal(404);
    expect(res.headers.get('content-type')).to.match(/application\/json/);
    expect(json.error.code).to.equal('not_found');
  });

  it('echoes an incoming X-Request-Id and logs it', async () => {
    const { res } = await call(`${app.url}/nope`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(res.headers.get('x-request-id')).to.equal('trace-abc.123');
    const line = app.logs().split('\n').find((l) => l.includes('trace-abc.123'));
    expect(line, 'access log line with the request id').to.be.a('string');
    expect(JSON.parse(line!)).to.include({ path: '/nope', status: 404, requestId: 'trace-abc.123' });
    const { res: res2 } = await call(`${app.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(res2.headers.get('x-request-id')).to.match(/^req_[0-9a-f]{20}$/);
  });
});

describe('API keys', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ apiKeys: ['k-one', 'k-two'] });
  });
  after(async () => {
    await app?.close();
  });

  it('missing key → 401 unauthorized', async () => {
    const { res, json } = await call(`${app.url}/v1/workflows`);
    expect(res.status).to.equal(401);
    expect(json.error.code).to.equal('unauthorized');
  });

  it('wrong key → 401', async () => {
    const { res } = await call(`${app.url}/v1/workflows`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).to.equal(401);
  });

  it('a configured key passes auth; health stays open', async () => {
    const { res } = await call(`${app.url}/v1/nothing-here`, { headers: { authorization: 'Bearer k-two' } });
    expect(res.status).to.equal(404);
    expect((await call(`${app.url}/healthz`)).res.status).to.equal(200);
  });
});

describe('readiness follows Redis', () => {
  let redis: RedisServer;
  let app: TestApp;
  before(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
    app = await startTestApp({ redisUrl: redis.url, secretKey: 'a'.repeat(64) });
  });
  after(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('503 redis_unavailable when Redis stops, 200 again once it is back, without a restart', async () => {
    expect((await call(`${app.url}/readyz`)).res.status).to.equal(200);
    await redis.stop();
    const down = await call(`${app.url}/readyz`);
    expect(down.res.status).to.equal(503);
    expect(down.json.error.code).to.equal('redis_unavailable');
    expect(down.res.headers.get('retry-after')).to.equal('5');
    await redis.start();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await call(`${app.url}/readyz`)).res.status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).to.equal(200);
  });

  it('a wrong REDIS_URL gives 503 redis_unavailable, not a crash', async () => {
    const other = await startTestApp({ redisUrl: `redis://127.0.0.1:${await freePort()}`, secretKey: 'a'.repeat(64) });
    try {
      const { res, json } = await call(`${other.url}/readyz`);
      expect(res.status).to.equal(503);
      expect(json.error.code).to.equal('redis_unavailable');
      expect((await call(`${other.url}/healthz`)).res.status).to.equal(200);
    } finally {
      await other.close();
    }
  });
});
