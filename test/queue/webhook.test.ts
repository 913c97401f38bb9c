import { expect } from 'chai';
import { RunWorker, verifyWebhookSignature, signWebhookBody } from '../../replayer/queue/index.js';
import { httpExecutor, openEnv, reply, Target, type Received } from './helpers.js';

describe('queue: webhooks', function () {
  const secret = 'whsec-test-' + Math.random().toString(36).slice(2);
  let env: Awaited<ReturnType<typeof openEnv>>;
  let target: Target;
  let hooks: Target;

  before(async () => {
    target = await new Target().start();
    hooks = await new Target().start();
  });
  beforeEach(async () => {
    env = await openEnv();
  });
  afterEach(async () => {
    await env.close();
  });
  after(async () => {
    await Promise.all([target.close(), hooks.close()]);
  });

  async function runWithHook(path: string) {
    const queue = await env.queue();
    const worker = new RunWorker({ queue, execute: httpExecutor(() => target.url), logger: env.logger, registry: env.registry, webhookSecret: secret });
    await worker.start();
    const { run } = await queue.enqueue({ workflowId: 'wf_hook', inputs: { q: 'x' }, webhookUrl: hooks.url + path });
    expect(run.webhook).to.deep.equal({ url: hooks.url + path });
    return { queue, worker, run };
  }

  it('POSTs the finished run, signed with HMAC-SHA256 of the exact body', async () => {
    const got = hooks.next();
    const { queue, worker, run } = await runWithHook('/hook');
    const call: Received = await got;
    // close() waits for the in-flight job, webhook delivery included
    await worker.close();

    expect(call.headers['content-type']).to.equal('application/json');
    const sig = call.headers['x-replayfarm-signature'] as string;
    expect(sig).to.match(/^sha256=[0-9a-f]{64}$/);
    expect(Number(call.headers['x-replayfarm-timestamp'])).to.be.closeTo(Date.now() / 1000, 300);
    expect(verifyWebhookSignature(call.body, sig, secret)).to.equal(true);
    expect(verifyWebhookSignature(call.body.replace('"succeeded"', '"failed"'), sig, secret)).to.equal(false);
    expect(verifyWebhookSignature(call.body + ' ', sig, secret)).to.equal(false);
    expect(verifyWebhookSignature(call.body, sig, secret + 'x')).to.equal(false);
    expect(verifyWebhookSignature(call.body, 'sha256=abc', secret)).to.equal(false);
    expect(verifyWebhookSignature(call.body, '', secret)).to.equal(false);

    const body = JSON.parse(call.body);
    expect(body.id).to.equal(run.id);
    expect(body.status).to.equal('succeeded');
    expect(body.output.body).to.deep.equal({ ok: true, echo: { q: 'x' } });

    const stored = await queue.get(run.id);
    expect(stored?.status).to.equal('succeeded');
    expect(stored?.webhook).to.deep.equal({ url: hooks.url + '/hook', status: 200 });
  });

  it('retries a webhook that answers 5xx and records the outcome', async () => {
    let n = 0;
    hooks.onRequest = (r) => reply(r.res, ++n === 1 ? 503 : 204, {});
    const before = hooks.received.length;
    const { queue, worker, run } = await runWithHook('/flaky');
    await queue.waitFor(run.id, 20_000);
    await worker.close();
    const calls = hooks.received.slice(before);
    expect(calls.map((c) => c.path)).to.deep.equal(['/flaky', '/flaky']);
    expect(calls[0]!.body).to.equal(calls[1]!.body);
    expect(verifyWebhookSignature(calls[1]!.body, calls[1]!.headers['x-replayfarm-signature'] as string, secret)).to.equal(true);
    expect((await queue.get(run.id))?.webhook).to.deep.equal({ url: hooks.url + '/flaky', status: 204 });
  });

  it('records a webhook that keeps failing without failing the run', async () => {
    hooks.onRequest = (r) => reply(r.res, 404, {});
    const { queue, worker, run } = await runWithHook('/gone');
    await queue.waitFor(run.id, 20_000);
    await worker.close();
    const stored = await queue.get(run.id);
    expect(stored?.status).to.equal('succeeded');
    expect(stored?.webhook).to.deep.equal({ url: hooks.url + '/gone', status: 404, error: 'HTTP 404' });
  });

  it('does not call a webhook that the guard refuses, and records why', async () => {
    const queue = await env.queue();
    const guarded: string[] = [];
    const worker = new RunWorker({
      queue,
      execute: httpExecutor(() => target.url),
      logger: env.logger,
      registry: env.registry,
      webhookSecret: secret,
      webhookGuard: (url) => {
        guarded.push(url.pathname);
        if (url.pathname === '/private') throw new Error('private address');
      },
    });
    await worker.start();
    const before = hooks.received.length;
    const { run } = await queue.enqueue({ workflowId: 'wf_hook', webhookUrl: hooks.url + '/private' });
    await queue.waitFor(run.id, 20_000);
    await worker.close();
    expect(guarded).to.deep.equal(['/private']);
    expect(hooks.received.length).to.equal(before);
    const stored = await queue.get(run.id);
    expect(stored?.status).to.equal('succeeded');
    expect(stored?.webhook).to.deep.equal({ url: hooks.url + '/private', error: 'refused: private address' });
  });

  it('rejects a webhookUrl that is not http(s)', async () => {
    const queue = await env.queue();
    const err = await queue.enqueue({ workflowId: 'wf_hook', webhookUrl: 'file:///etc/passwd' }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).to.equal('invalid_request');
  });

  it('signWebhookBody matches a plain HMAC computation', async () => {
    const { createHmac } = await import('node:crypto');
    const body = '{"a":1}';
    expect(signWebhookBody(body, 'k')).to.equal('sha256=' + createHmac('sha256', 'k').update(body).digest('hex'));
  });
});
