import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RunWorker } from '../../replayer/queue/index.js';
import { httpExecutor, openEnv, REDIS_URL, reply, Target, type Received } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('queue: a worker process killed mid-run', function () {
  let env: Awaited<ReturnType<typeof openEnv>>;
  let target: Target;
  let child: ChildProcess | undefined;
  let rescue: RunWorker | undefined;

  before(async () => {
    env = await openEnv();
    target = await new Target().start();
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rescue?.close();
    await target.close();
    await env.close();
  });

  it('SIGKILL during a run: another worker picks the run up and completes it (attempts = 2)', async () => {
    const held: Received[] = [];
    target.onRequest = (r) => {
      if (r.path.includes('attempt=1')) held.push(r); // the first execution never gets an answer
      else reply(r.res, 200, { ok: 'after recovery' });
    };

    child = spawn(process.execPath, ['--import', 'tsx', 'test/queue/worker-child.ts'], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL, PREFIX: env.prefix, TARGET_URL: target.url, WORKER_ID: 'w-doomed' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child!.once('exit', (code) => reject(new Error(`worker child exited early (${code})`)));
    });

    const queue = await env.queue();
    const arrived = target.next();
    const { run } = await queue.enqueue({ workflowId: 'wf_kill', inputs: { k: 1 } });
    const first = await arrived;
    expect(first.path).to.contain(run.id);
    const mid = await queue.get(run.id);
    expect(mid?.status).to.equal('running');
    expect(mid?.worker).to.equal('w-doomed');

    child.kill('SIGKILL');
    expect(await exited).to.equal('SIGKILL');

    rescue = new RunWorker({
      queue,
      execute: httpExecutor(() => target.url),
      logger: env.logger,
      registry: env.registry,
      concurrency: 1,
      workerId: 'w-rescue',
      lockDurationMs: 1000,
      stalledIntervalMs: 500,
    });
    await rescue.start();
    const done = await queue.waitFor(run.id, 30_000);
    expect(done.status).to.equal('succeeded');
    expect(done.attempts).to.equal(2);
    expect(done.worker).to.equal('w-rescue');
    expect(done.output?.body).to.deep.equal({ ok: 'after recovery' });
    expect(target.received.filter((r) => r.path.includes(run.id)).map((r) => r.path.split('?')[1])).to.deep.equal(['attempt=1', 'attempt=2']);
    expect(held).to.have.length(1);
  });
});
