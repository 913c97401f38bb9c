#!/usr/bin/env node
// Builds the web console (console/main.tsx, Preact) into static files that server/ serves under
// /console/: dist/console/app.js (one ES module, minified, with its source map), index.html and
// app.css. The server's CSP allows only same-origin scripts and styles, so everything the page
// needs is in these files: no CDN, no inline script or style.
// Usage: node scripts/bundle-console.mjs
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'console');
const out = join(root, 'dist', 'console');

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(src, 'main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(src, 'tsconfig.json'),
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css']) copyFileSync(join(src, file), join(out, file));
