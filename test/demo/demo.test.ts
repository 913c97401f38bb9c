import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runDemo, type DemoResult } from '../../demo/demo-scenario.js';
import { testPrefix } from '../helpers/prefix.js';

const exec = promisify(execFile);

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
});
