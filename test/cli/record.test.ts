import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { chromium } from 'playwright';
import { launchOptions } from '../../browser-pool/index.js';
import { createRedis, RedisStore, type Recording, type Workflow } from '../../core/index.js';
import { startFixtureSite, type FixtureSite } from '../fixtures/site/index.js';
import { testPrefix } from '../helpers/prefix.js';
import { Xvfb } from '../helpers/xvfb.js';

const exec = promisify(execFile);

async function fieldBoxes(url: string, selectors: string[]) {
  const browser = await chromium.launch(launchOptions());
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    await page.goto(url);
    return await Promise.all(selectors.map(async (s) => (await page.locator(s).boundingBox())!));
  } finally {
    await browser.close();
  }
}
const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `replayfarm record URL` as a person uses it: a real Chromium window on an X display, typed into
 * with real X key events (xdotool, like a keyboard), closed with Ctrl+W. Nothing goes through the
 * actions API: what the recording holds is what the injected logger saw.
 */
describe('CLI: replayfarm record (headed, under Xvfb)', function () {
  this.timeout(180_000);
  let site: FixtureSite;
  let xvfb: Xvfb;
  let cli: ChildProcess | undefined;
  const prefix = testPrefix('cli-record');
  const redis = createRedis('redis://127.0.0.1:6379');
  const store = new RedisStore({ redis, prefix });

  before(async () => {
    site = await startFixtureSite();
    xvfb = new Xvfb();
    await xvfb.start();
  });
  after(async () => {
    if (cli && cli.exitCode === null) cli.kill('SIGKILL');
    await xvfb?.stop();
    await site?.close();
    await store.clear();
    await redis.quit();
  });

  const xdo = async (...args: string[]) => (await exec('xdotool', args, { env: { ...process.env, DISPLAY: xvfb.display } })).stdout.trim();
  const until = async (what: string, fn: () => Promise<boolean> | boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await fn()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('opens a window, captures what is typed, and saves + learns when the window is closed', async () => {
    let stdout = '';
    let stderr = '';
    cli = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'record', `${site.url}/login`, '--name', 'cli recording'], {
      cwd: root,
      env: { ...process.env, DISPLAY: xvfb.display, KEY_PREFIX: prefix, SECRET_KEY: 'c'.repeat(64), LOG_LEVEL: 'warn', REDIS_URL: 'redis://127.0.0.1:6379' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cli.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli!.once('exit', (code) => resolve(code)));

    await until('the CLI to say it is recording', () => /recording rec_\w+/.test(stderr));
    const win = (await xdo('search', '--sync', '--onlyvisible', '--name', 'Sign in')).split('\n')[0]!;
    // Where the fields are: the same page laid out headless at the recording's viewport (1280x720);
    // the window's browser chrome sits above the viewport.
    const boxes = await fieldBoxes(`${site.url}/login`, ['#username', '#password']);
    const winHeight = Number(/Geometry: \d+x(\d+)/.exec(await xdo('getwindowgeometry', win))![1]);
    const top = winHeight - 720;
    const clickInto = async (b: { x: number; y: number; height: number }) => {
      await xdo('mousemove', '--window', win, String(Math.round(b.x + 20)), String(Math.round(top + b.y + b.height / 2)));
      await xdo('click', '1');
    };
    // a person clicks into each field and types
    await clickInto(boxes[0]!);
    await xdo('type', '--delay', '30', 'alice');
    await clickInto(boxes[1]!);
    await xdo('type', '--delay', '30', 's3cret-pass');
    await xdo('key', 'Return');
    await until('the login to reach the site', () => (site.counters()['POST /login'] ?? 0) >= 1);
    await until('the app page', () => (site.counters()['GET /app'] ?? 0) >= 1);
    await xdo('mousemove', '--window', win, '640', String(top + 600));
    await xdo('click', '1');
    await xdo('key', 'ctrl+w');

    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000))]);
    expect(code, `CLI exit; stderr: ${stderr}`).to.equal(0);
    expect(stderr).to.match(/saved recording rec_\w+/);
    expect(stdout).to.match(/workflow wf_\w+/);
    expect(stdout).to.include('run it:  replayfarm run wf_');

    const recId = /saved recording (rec_\w+)/.exec(stderr)![1]!;
    const rec = (await store.get<Recording>('recording', recId))!;
    expect(rec.stopReason).to.equal('window_closed');
    expect(rec.headed).to.equal(true);
    const fills = rec.actions.filter((a) => a.type === 'fill');
    const user = fills.find((a) => a.selector?.includes('username'));
    const pass = fills.find((a) => a.selector?.includes('password'));
    expect(user, JSON.stringify(rec.actions)).to.include({ value: 'alice', input: 'username' });
    expect(pass, JSON.stringify(rec.actions)).to.include({ secret: true });
    expect(JSON.stringify(rec)).not.to.include('s3cret-pass');
    const wf = (await store.get<Workflow>('workflow', rec.workflowId!))!;
    expect(wf.steps.some((s) => s.request.method === 'POST' && s.request.url.endsWith('/login'))).to.equal(true);
    expect(wf.inputs.find((i) => i.name === 'password')).to.include({ secret: true });
  });
});
