import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Workflow } from '../../core/index.js';
import { fixtureFlow, startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { clearPrefix, testPrefix } from '../helpers/prefix.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const withoutPort = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'PORT'));

/**
 * `replayfarm record URL --headless`: there is no window, so the CLI must not ask for one; it says
 * how to drive the recording through the API, and that way (actions, then stop) really works.
 */
describe('CLI: replayfarm record --headless', function () {
  this.timeout(120_000);
  let site: FixtureSite;
  let cli: ChildProcess | undefined;
  const prefix = testPrefix('cli-headless');

  before(async () => {
    site = await startFixtureSite();
  });
  after(async () => {
    if (cli && cli.exitCode === null) cli.kill('SIGKILL');
    await site?.close();
    await clearPrefix('redis://127.0.0.1:6379', prefix);
  });

  it('names the actions endpoint instead of a window, and saves when stopped through the API', async () => {
    let stdout = '';
    let stderr = '';
    cli = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'record', `${site.url}/login`, '--headless', '--name', 'headless cli'], {
      cwd: root,
      // no PORT: the headless recording's API then takes any free port
      env: { ...withoutPort(), KEY_PREFIX: prefix, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cli.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli!.once('exit', (code) => resolve(code)));
    const end = Date.now() + 60_000;
    while (!/then save it with POST/.test(stderr) && Date.now() < end && cli.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).not.to.match(/in the window/);
    const actionsUrl = /curl -s -X POST (http:\/\/\S+\/v1\/recordings\/rec_\w+\/actions)/.exec(stderr)?.[1];
    expect(actionsUrl, stderr).to.be.a('string');
    const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const acted = await post(actionsUrl!, { actions: fixtureFlow(site).slice(1) });
    expect(acted.status, await acted.clone().text()).to.equal(200);
    const stopUrl = /then save it with POST (\S+\/stop)/.exec(stderr)![1]!;
    expect(stopUrl).to.equal(actionsUrl!.replace(/actions$/, 'stop'));
    const stopped = await post(stopUrl, {});
    expect(stopped.status).to.equal(201);
    const { workflow } = (await stopped.json()) as { workflow: Workflow };
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.include(`run it:  replayfarm run ${workflow.id}`);
    expect(site.counters()['POST /login']).to.equal(1);
  });
});
