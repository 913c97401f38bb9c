/**
 * Import direction (DESIGN.md), checked on the TypeScript sources by `npm test`, type-only imports
 * included (tsPreCompilationDeps), so a cycle that exists only in types fails too:
 * core ← browser-pool ← recorder | replayer ← server; recorder and replayer never meet.
 */
const ours = '^(dist/)?(core|browser-pool|recorder|replayer|server)/';
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: { path: '^(dist/)?(core|browser-pool|recorder|replayer|server)/' }, to: { circular: true } },
    { name: 'core-imports-nothing-of-ours', severity: 'error', from: { path: '^(dist/)?core/' }, to: { path: '^(dist/)?(browser-pool|recorder|replayer|server|test|bench)/' } },
    { name: 'browser-pool-imports-only-core', severity: 'error', from: { path: '^(dist/)?browser-pool/' }, to: { path: '^(dist/)?(recorder|replayer|server|test|bench)/' } },
    { name: 'recorder-not-replayer', severity: 'error', from: { path: '^(dist/)?recorder/' }, to: { path: '^(dist/)?(replayer|server|test|bench)/' } },
    { name: 'replayer-not-recorder', severity: 'error', from: { path: '^(dist/)?replayer/' }, to: { path: '^(dist/)?(recorder|server|test|bench)/' } },
    { name: 'only-server-test-bench-import-server', severity: 'error', from: { path: ours, pathNot: '^(dist/)?server/' }, to: { path: '^(dist/)?server/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
