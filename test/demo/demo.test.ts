import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runDemo, type DemoResult } from '../../demo/demo-scenario.js';
import { testPrefix } from '../helpers/prefix.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

/** `npm run demo`'s scenario, asserting that what it prints is real. */
describe('demo: the whole loop on the bundled site', function () {
  this.timeout(300_000);
  let demo: DemoResult;
  const lines: string[] = [];

  before(async () => {
    demo = await runDemo({ port: 0, keyPrefix: testPrefix("demo"), say: (l) => lines.push(l), env: { LOG_LEVEL: "warn" } }).catch((err) => {
      console.error(lines.join("\n"));
      throw err;
    });
  });
  after(async () => {
    await demo?.rf.store.clear();
    await demo?.close();
  });

  it('prints the learned steps and where each value comes from', () => {
    const text = lines.join('\n');
    expect(text).to.match(/POST \/login/);
    expect(text).to.match(/csrf_token: header X-CSRF-Token of s\d ← meta\[name=csrf-token\]/);
    expect(text).to.match(/inputs:\n(.*\n)*\s+password \(string\) \(secret/);
  });

  it('HTTP runs are faster than the browser run, and the repair happened exactly once', () => {
    const f = demo.figures;
    expect(f.httpRunMs.length).to.equal(5);
    expect(f.httpMedianMs).to.be.greaterThan(0);
    expect(f.httpMedianMs).to.be.lessThan(f.browserRunMs);
    expect(f.repairs).to.equal(1);
    expect(f.repairRunMs).to.be.greaterThan(f.httpMedianMs);
    expect(f.afterRepairMode).to.equal('http');
    expect(lines.join('\n')).to.match(/run 7: succeeded in \d+ ms, mode hybrid, repaired in a browser/);
  });

  it('the site saw what the demo claims: logins, one item per run', () => {
    const c = demo.site.counters();
    // the recording; run 1 over HTTP; runs 2-6 reuse the session (no login); run 7 tries the HTTP
    // re-login (refused: the site now wants JavaScript) then logs in in the browser; run 8 reuses
    // the repaired session; the browser-mode run logs in in its own browser
    expect(c['POST /login']).to.equal(1 + 1 + 2 + 1);
    expect(demo.site.items().filter((i) => i.title.startsWith('Item ')).length).to.equal(5);
  });

  it('the curl lines it prints work as printed', async () => {
    expect(demo.curlLines.length).to.be.greaterThan(2);
    for (const line of demo.curlLines) {
      const { stdout } = await exec('bash', ['-c', line]);
      expect(stdout.length, line).to.be.greaterThan(10);
      if (line.includes('/runs') && line.includes('POST')) expect(JSON.parse(stdout)).to.include({ status: 'succeeded', mode: 'http' });
    }
  });

  it("prints the console's URL, and it serves the console", async () => {
    expect(lines.join('\n')).to.include(demo.consoleUrl);
    const res = await fetch(demo.consoleUrl);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-security-policy')).to.include("script-src 'self'");
    expect(await res.text()).to.include('app.js');
  });

  it('prints CLI lines that reach the demo data (its KEY_PREFIX), and they work as printed', async () => {
    const text = lines.join('\n');
    expect(demo.cliLines.length).to.equal(2);
    for (const line of demo.cliLines) {
      expect(text).to.include(line);
      expect(line).to.match(new RegExp(`^KEY_PREFIX=${demo.rf.config.keyPrefix} `));
    }
    // as printed, but the CLI from source (dist/ is the build's; the test runs on tsx)
    const fromSource = (line: string) => line.replace('node dist/server/cli.js', 'node --import tsx server/cli.ts');
    const ran = await exec('bash', ['-c', fromSource(demo.cliLines[1]!)], { cwd: root });
    expect(ran.stdout).to.include('From the CLI');
    const listed = await exec('bash', ['-c', fromSource(demo.cliLines[0]!)], { cwd: root });
    expect(listed.stdout.trim().split('\n').length).to.be.greaterThan(9);
    expect(listed.stdout).to.match(/\tsucceeded\thttp\t.*\tcli:/);
  });
});
