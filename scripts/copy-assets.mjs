#!/usr/bin/env node
// Files the compiled code reads from disk beside itself at run time (Redis Lua scripts), copied
// into dist/ at the same relative path: tsc only emits .js, and the image ships dist/ alone.
// Usage: node scripts/copy-assets.mjs [folder…]   (default: the folders tsconfig.build.json builds)
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ASSET = /\.lua$/;
const folders = process.argv.length > 2 ? process.argv.slice(2) : ['core', 'browser-pool', 'recorder', 'replayer', 'server'];

function* assets(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // a folder this checkout does not have
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* assets(p);
    else if (ASSET.test(e.name)) yield p;
  }
}

let n = 0;
for (const folder of folders) {
  for (const file of assets(join(root, folder))) {
    const to = join(root, 'dist', relative(root, file));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(file, to);
    n++;
  }
}
if (process.env.COPY_ASSETS_VERBOSE) process.stderr.write(`copy-assets: ${n} file(s)\n`);
