#!/usr/bin/env node
// Bundles the CLI's quick commands (server/cli-quick.ts: run, workflows, runs) and everything they
// import into one file, dist/server/cli-quick.bundle.mjs, which dist/server/cli.js loads when it
// is there. Why: a warm `replayfarm run` spent most of its ~600 ms resolving, reading and compiling
// some 400 modules one by one (Node 20 has no compile cache); one bundled file takes a fraction.
// esbuild (a dev dependency; tsx runs on it) does the bundling: no hand-written concatenation.
// Packages the quick commands never load (Playwright, bull, Express, piscina) stay outside.
// The Lua scripts the bundled code reads (`<module dir>/commands/<name>.lua` in core/ and replayer/) are
// copied to dist/server/commands/, the folder the bundle looks in; two scripts of one name would
// shadow each other, so that is refused.
// Usage: node scripts/bundle-cli.mjs
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'server');

await build({
  entryPoints: [join(root, 'server', 'cli-quick.ts')],
  outfile: join(out, 'cli-quick.bundle.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS packages inside an ES module bundle call require(): give them one
  banner: { js: "import { createRequire as __rfCreateRequire } from 'node:module'; const require = __rfCreateRequire(import.meta.url);" },
  external: ['playwright', 'playwright-core', 'bull', 'express', 'piscina'],
  logLevel: 'warning',
});

function* luaFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* luaFiles(p);
    else if (e.name.endsWith('.lua')) yield p;
  }
}

const commands = join(out, 'commands');
mkdirSync(commands, { recursive: true });
const seen = new Map();
for (const folder of ['core', 'replayer', 'server']) {
  for (const file of luaFiles(join(root, folder))) {
    const name = basename(file);
    if (seen.has(name)) throw new Error(`bundle-cli: ${relative(root, file)} and ${seen.get(name)} share a name; the bundle reads both from one folder`);
    seen.set(name, relative(root, file));
    copyFileSync(file, join(commands, name));
  }
}
