#!/usr/bin/env node
// `npm run bench -- NAME` runs bench/NAME.ts (figures as `name: value` lines on stdout, progress on stderr).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const name = process.argv[2];
const available = readdirSync(new URL('../bench/', import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (NAME: ${available.join(', ') || 'none yet'})`);
  process.exit(2);
}
const file = new URL(`../bench/${name}.ts`, import.meta.url).pathname;
if (!existsSync(file)) process.exit(2);
const res = spawnSync(process.execPath, ['--import', 'tsx', file, ...process.argv.slice(3)], { stdio: 'inherit' });
process.exit(res.status ?? 1);
