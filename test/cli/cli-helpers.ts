import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRedis, newId, RedisStore, type Workflow } from '../../core/index.js';
import { fixtureWorkflow } from '../replayer/fixture-workflow.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the CLI as a user does: `node <cli> args…` in its own process. `cli` is dist/server/cli.js
 * (benches, after a build) or server/cli.ts under tsx (tests).
 */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cli?: string | false; timeoutMs?: number } = {}): Promise<CliResult> {
  const cli = opts.cli ?? 'server/cli.ts';
  // cli false: plain `node args…` (what the bench measures the CLI against)
  const argv = cli === false ? args : cli.endsWith('.ts') ? ['--import', 'tsx', cli, ...args] : [cli, ...args];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: root, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** The fixture site's workflow stored under `prefix`, sealed with that prefix's generated key (the one the CLI will use). */
export async function seedFixtureWorkflow(prefix: string, siteUrl: string, redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') {
  const redis = createRedis(redisUrl);
  const store = new RedisStore({ redis, prefix });
  const wf: Workflow = fixtureWorkflow(siteUrl, await store.secretBox(undefined), newId('wf'));
  await store.put('workflow', wf.id, wf);
  return {
    wf,
    store,
    async close(clear = true) {
      if (clear) await store.clear();
      await redis.quit();
    },
  };
}
