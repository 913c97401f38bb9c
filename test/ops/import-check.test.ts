import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const depcruise = `${root}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`;

/** Runs the project's import check (its config, on sources) over a scratch tree; the violations it prints. */
async function check(files: Record<string, string>): Promise<{ ok: boolean; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'rf-imports-'));
  try {
    cpSync(`${root}.dependency-cruiser.cjs`, `${dir}/.dependency-cruiser.cjs`);
    writeFileSync(`${dir}/tsconfig.json`, JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const folders = [...new Set(Object.keys(files).map((f) => f.split('/')[0]!))];
    const res = await exec(process.execPath, [depcruise, '--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...folders], { cwd: dir }).then(
      (r) => ({ ok: true, out: r.stdout }),
      (e: { stdout?: string }) => ({ ok: false, out: e.stdout ?? '' }),
    );
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('ops: the import check runs on sources and counts type-only imports', function () {
  this.timeout(60_000);

  it('npm run check:imports cruises the TypeScript folders, not dist/', async () => {
    const { default: pkg } = await import(`${root}package.json`, { with: { type: 'json' } });
    expect(pkg.scripts['check:imports']).to.include('core browser-pool recorder replayer server').and.not.include('dist/');
  });

  it('fails on a cycle made only of type imports', async () => {
    const res = await check({
      'replayer/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'replayer/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
    });
    expect(res.ok).to.equal(false);
    expect(res.out).to.match(/no-circular/);
  });

  it('fails on a type-only import that climbs a layer (replayer → server)', async () => {
    const res = await check({
      'server/app.ts': 'export interface App { port: number }\n',
      'replayer/run.ts': "import type { App } from '../server/app.js';\nexport type Port = App['port'];\n",
    });
    expect(res.ok).to.equal(false);
    expect(res.out).to.match(/replayer-not-recorder|only-server-test-bench-import-server/);
  });

  it('passes a tree that imports downwards only', async () => {
    const res = await check({
      'core/a.ts': 'export interface A { n: number }\n',
      'replayer/b.ts': "import type { A } from '../core/a.js';\nexport type B = A;\n",
    });
    expect(res.ok, res.out).to.equal(true);
  });
});
