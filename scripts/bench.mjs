#!/usr/bin/env node
// `npm run bench -- NAME [args…]` builds the project (tsc) and runs dist/bench/NAME.js: the
// compiled JavaScript users run with `npm start`, not the tsx loader (whose per-closure name
// helpers and hooks would be measured too). Figures as `name: value` lines on stdout, progress on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const name = process.argv[2];
const available = readdirSync(new URL('../bench/', import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [args…]   (NAME: ${available.join(', ') || 'none yet'})`);
  process.exit(2);
}
process.stderr.write('building (tsc)…\n');
const build = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('bench: the build failed (see above)');
  process.exit(build.status ?? 1);
}
// tsc does not copy the Lua commands; a stale copy in dist/ would otherwise win over the sources
const assets = spawnSync(process.execPath, [`${root}scripts/copy-assets.mjs`], { stdio: 'inherit' });
if (assets.status !== 0) process.exit(assets.status ?? 1);
const file = `${root}dist/bench/${name}.js`;
if (!existsSync(file)) {
  console.error(`bench: ${file} was not built`);
  process.exit(1);
}
const res = spawnSync(process.execPath, [file, ...process.argv.slice(3)], { stdio: 'inherit', cwd: root });
process.exit(res.status ?? 1);
