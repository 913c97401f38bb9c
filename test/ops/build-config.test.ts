import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = `${root}node_modules/typescript/bin/tsc`;

/**
 * `npm start` (prestart) and the image build only what runs, incrementally; tests and benches are
 * type-checked by `npm test` with tsconfig.json, never compiled on start.
 */
describe('ops: the build compiles only what runs, incrementally', function () {
  this.timeout(180_000);
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string>; engines: { node: string } };

  it('prestart builds with the incremental build config; npm test type-checks everything', () => {
    expect(pkg.scripts.prestart).to.match(/npm run build\b/);
    expect(pkg.scripts.build).to.match(/^tsc -b tsconfig\.build\.json\b/);
    expect(pkg.scripts.test).to.match(/npm run typecheck\b/);
    expect(pkg.scripts.typecheck).to.match(/tsc --noEmit -p tsconfig\.json/);
  });

  it('the build config holds no test, bench or demo file', async () => {
    const { stdout } = await exec(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const ours = stdout.split('\n').filter((f) => f.startsWith(root) && !f.includes('/node_modules/')).map((f) => f.slice(root.length));
    expect(ours.length).to.be.greaterThan(50);
    expect(ours.filter((f) => /^(test|bench|demo|e2e)\//.test(f))).to.deep.equal([]);
    for (const folder of ['core', 'browser-pool', 'recorder', 'replayer', 'server']) expect(ours.some((f) => f.startsWith(`${folder}/`)), folder).to.equal(true);
  });

  it('a second build with nothing changed compiles nothing', async () => {
    await exec('npm', ['run', 'build'], { cwd: root });
    const { stdout } = await exec(process.execPath, [tsc, '-b', 'tsconfig.build.json', '--dry', '-v'], { cwd: root });
    expect(stdout).to.match(/is up to date/);
  });

  it("engines names the Node line the tests run on (and the image's is newer)", () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(floor, pkg.engines.node).to.not.equal(null);
    expect(major * 1000 + minor).to.be.at.least(Number(floor![1]) * 1000 + Number(floor![2]));
  });
});
