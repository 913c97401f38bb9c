import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { dockerStages } from './dockerfile.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

/**
 * No Docker engine here: the image's build stage is replayed in a scratch folder instead, copying
 * exactly what its COPY lines copy and running its RUN lines (npm ci is a symlink to this checkout's
 * node_modules; npm prune is not run, it would prune that shared folder), then the runtime stage's
 * needs are checked against what the build left. A build that only works with test/ or bench/
 * beside it, or a runtime file the build does not ship, fails here.
 */
describe('ops: the Docker image builds (its build stage, replayed without an engine)', function () {
  this.timeout(240_000);
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const stages = dockerStages(dockerfile);
  const build = stages.get('build')!;
  const runtime = stages.get('runtime')!;
  const scratch = mkdtempSync(join(tmpdir(), 'rf-docker-build-'));
  const app = join(scratch, 'app');
  const copied: string[] = [];

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('both stages are on a supported Node LTS line (22 or 24), the same one', () => {
    const majors = [build, runtime].map((s) => /^node:(\d+)/.exec(s[0]!.args)?.[1]);
    expect(majors[0]).to.be.oneOf(['22', '24']);
    expect(majors[1]).to.equal(majors[0]);
  });

  it('runs the build stage: COPY what it copies, RUN what it runs', async () => {
    expect(build.find((i) => i.op === 'WORKDIR')?.args).to.equal('/app');
    for (const step of build.slice(1)) {
      if (step.op === 'COPY') {
        const parts = step.args.split(/\s+/);
        expect(parts[0], 'a build-stage COPY from elsewhere').not.to.match(/^--/);
        const dest = parts.pop()!;
        for (const src of parts) {
          const to = dest.endsWith('/') ? join(app, dest, src.split('/').pop()!) : join(app, dest);
          cpSync(join(root, src), to, { recursive: true });
          copied.push(src);
        }
      } else if (step.op === 'RUN') {
        if (/^npm ci\b/.test(step.args)) symlinkSync(join(root, 'node_modules'), join(app, 'node_modules'), 'dir');
        else if (/^npm prune --omit=dev$/.test(step.args)) continue;
        else {
          const res = await exec('sh', ['-c', step.args], { cwd: app, maxBuffer: 16 * 1024 * 1024 }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
            throw new Error(`RUN ${step.args} failed:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
          });
          expect(res.stderr).not.to.match(/error TS\d+/);
        }
      }
    }
    expect(copied).to.not.include('test');
    expect(existsSync(join(app, 'dist/server/cli.js'))).to.equal(true);
    expect(existsSync(join(app, 'dist/console/index.html')), 'the console is built into the image').to.equal(true);
    expect(existsSync(join(app, 'dist/console/app.js'))).to.equal(true);
  });

  it('ships what the runtime stage copies and starts: the bin answers, every command module loads', async () => {
    for (const step of runtime.filter((i) => i.op === 'COPY' && i.args.includes('--from=build'))) {
      const src = step.args.split(/\s+/).find((a) => a.startsWith('/app/'))!;
      expect(existsSync(join(app, relative('/app', src))), src).to.equal(true);
    }
    const entry = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')!.args) as string[];
    const script = entry.find((a) => a.endsWith('.js'))!;
    const { stdout } = await exec(process.execPath, [script, '--version'], { cwd: app });
    expect(stdout).to.match(/^replayfarm \d+\.\d+\.\d+/);
    await exec(process.execPath, ['--input-type=module', '-e', "await import('./dist/server/cli-serve.js'); await import('./dist/server/cli-local.js');"], { cwd: app });
  });

  it('bundles the quick CLI commands into one file that loads no browser, queue or web server, with the Lua it reads beside it', async () => {
    const bundle = join(app, 'dist/server/cli-quick.bundle.mjs');
    expect(existsSync(bundle), 'dist/server/cli-quick.bundle.mjs').to.equal(true);
    const js = readFileSync(bundle, 'utf8');
    const topLevel = [...js.matchAll(/^import\s[^;]*?from\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
    expect(topLevel.filter((spec) => !spec.startsWith('node:')), 'packages imported when the bundle loads').to.deep.equal([]);
    const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', "const m = await import('./dist/server/cli-quick.bundle.mjs'); console.log(typeof m.quick);"], { cwd: app });
    expect(stdout.trim()).to.equal('function');
    for (const lua of ['enqueue.lua', 'set-if-unchanged.lua', 'save-session-if-version.lua']) expect(existsSync(join(app, 'dist/server/commands', lua)), lua).to.equal(true);
  });

  it('needs only production dependencies at run time (the runtime stage prunes the rest)', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const missing = new Set<string>();
    const seen = new Set<string>();
    for (const file of files(join(app, 'dist'))) {
      if (!file.endsWith('.js')) continue;
      const js = readFileSync(file, 'utf8');
      // `import … from 'x'`, `import 'x'`, `export … from 'x'` at a line start, `import('x')`, and
      // `require('x')` or `createRequire(…)('x')` (packages loaded on first use)
      const imports = /^(?:import\s+(?:[^'";]*?\sfrom\s*)?|export\s+[^'";]*?\sfrom\s*)['"]([^'"./][^'"]*)['"]|\b(?:import|require|createRequire\([^()]*\))\(\s*['"]([^'"./][^'"]*)['"]\s*\)/gm;
      for (const m of js.matchAll(imports)) {
        const spec = (m[1] ?? m[2])!.replace(/^node:/, '');
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        seen.add(name);
        if (!allowed.has(name)) missing.add(`${name} (${relative(app, file)})`);
      }
    }
    expect([...seen]).to.include.members(['express', 'bull', 'playwright', 'ioredis', 'fs']);
    expect([...missing]).to.deep.equal([]);
  });

  it('ships every Lua script the code reads from disk, beside its compiled module', () => {
    const sources = copied.filter((c) => statSync(join(root, c)).isDirectory());
    const lua = sources.flatMap((dir) => [...files(join(root, dir))].filter((f) => f.endsWith('.lua')).map((f) => relative(root, f)));
    for (const f of lua) expect(existsSync(join(app, 'dist', f)), `dist/${f}`).to.equal(true);
  });
});
