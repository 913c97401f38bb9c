import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { commandArgs, luaCommand, newId } from '../../core/index.js';
import { CounterSite, counterWorkflow } from '../fixtures/counter-site.js';
import { openEnv, REDIS_URL } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/server/cli.js');

/**
 * The Lua commands live in .lua files: found beside the module (sources, or a build that copied
 * them), else in the sources from a dist/ module (a plain `tsc` build copies no .lua file). The
 * compiled worker (`npm run build` first) runs them.
 */
describe('queue: Lua commands in .lua files', function () {
  this.timeout(60_000);

  it('declares named keys and arguments, and refuses a name the script does not declare', () => {
    const cmd = luaCommand(pathToFileURL(join(ROOT, 'replayer/queue/scripts.ts')).href, 'commands', 'save-if-current');
    expect(cmd.keys).to.deep.equal(['run', 'slots', 'journal']);
    expect([...cmd.optional]).to.deep.equal(['slots', 'journal']);
    expect(cmd.args).to.deep.equal(['attempt', 'runJson', 'runId', 'channel']);
    // Positions only in the prelude: the script itself names its keys and arguments.
    expect(cmd.src.split('\n').slice(1).join('\n')).to.contain('KEY.run').and.not.match(/KEYS\[|ARGV\[/);
    const args = { attempt: 1, runJson: '{}', runId: 'r', channel: 'c' };
    // An optional trailing key left out: one key sent.
    expect(commandArgs(cmd, { run: 'k1' }, args)).to.deep.equal({ keys: ['k1'], args: [1, '{}', 'r', 'c'] });
    expect(() => commandArgs(cmd, { run: 'k1', slot: 'x' }, args)).to.throw(TypeError, /no key named slot/);
    expect(() => commandArgs(cmd, {}, args)).to.throw(TypeError, /key run is required/);
    expect(() => commandArgs(cmd, { run: 'k1' }, { ...args, runId: undefined as unknown as string })).to.throw(TypeError, /argument runId is required/);
  });

  it('a module under dist/ without its .lua files finds them in the sources', () => {
    const root = join(tmpdir(), `rf-lua-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(join(root, 'mod/commands'), { recursive: true });
      mkdirSync(join(root, 'dist/mod'), { recursive: true });
      writeFileSync(join(root, 'mod/commands/hello.lua'), "-- KEYS: a\n-- ARGV: b\nreturn {'hello', KEY.a, ARG.b}\n");
      const cmd = luaCommand(pathToFileURL(join(root, 'dist/mod/x.js')).href, 'commands', 'hello');
      expect(cmd.keys).to.deep.equal(['a']);
      expect(cmd.src).to.contain("return {'hello', KEY.a, ARG.b}");
      expect(() => luaCommand(pathToFileURL(join(root, 'dist/mod/x.js')).href, 'commands', 'absent')).to.throw(/absent\.lua not found/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the compiled modules load every command, the same scripts as the sources', () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).to.equal(true);
    const script = `
      const q = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/replayer/queue/scripts.js')).href)});
      const s = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/replayer/session-store.js')).href)});
      await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/core/store.js')).href)});
      process.stdout.write(JSON.stringify([q.ENQUEUE.src, q.SAVE_IF_CURRENT.src, q.START_RUN.src, typeof s.SessionStore]));`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(res.status, res.stderr).to.equal(0);
    const [enqueue, save, start, store] = JSON.parse(res.stdout) as string[];
    expect(enqueue).to.contain(readFileSync(join(ROOT, 'replayer/queue/commands/enqueue.lua'), 'utf8'));
    expect(save).to.contain(readFileSync(join(ROOT, 'replayer/queue/commands/save-if-current.lua'), 'utf8'));
    expect(start).to.contain(readFileSync(join(ROOT, 'replayer/queue/commands/start-run.lua'), 'utf8'));
    expect(store).to.equal('function');
  });

  describe('a compiled `replayfarm worker` process', () => {
    let env: Awaited<ReturnType<typeof openEnv>>;
    let site: CounterSite;
    let worker: ChildProcess | undefined;

    before(async () => {
      env = await openEnv();
      site = await new CounterSite().start();
    });
    after(async () => {
      worker?.kill('SIGTERM');
      await site.close();
      await env.close();
    });

    it('takes a queued run, starts and stores it with the Lua commands, and it succeeds', async () => {
      expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).to.equal(true);
      const p = spawn(process.execPath, [CLI, 'worker'], {
        cwd: ROOT,
        env: { ...process.env, REDIS_URL, KEY_PREFIX: env.prefix, ALLOW_LOOPBACK_TARGETS: 'true', LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker = p;
      let text = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
          text += d.toString();
          if (/worker started/.test(text)) resolve();
        };
        p.stdout!.on('data', onData);
        p.stderr!.on('data', onData);
        p.once('exit', (code) => reject(new Error(`worker exited (${code}): ${text.slice(-2000)}`)));
      });
      const queue = await env.queue();
      const wf = counterWorkflow(site.url, newId('wf'));
      await env.store.put('workflow', wf.id, wf);
      const { run } = await queue.enqueue({ workflowId: wf.id, inputs: { title: 'from-dist' }, mode: 'http' });
      const done = await queue.waitFor(run.id, 30_000);
      expect(done.status, JSON.stringify(done.error)).to.equal('succeeded');
      expect(done.attempts).to.equal(1);
      expect(done.worker).to.be.a('string');
    });
  });
});
