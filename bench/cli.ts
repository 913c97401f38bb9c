/**
 * bench/cli: how fast the CLI starts, side by side with Node itself.
 *   bare_node_ms      `node -e 0`: what any Node CLI pays before its first line runs
 *   cli_help_ms       `replayfarm help` (nothing but the usage text: no Playwright, Bull or Express)
 *   cli_run_warm_ms   `replayfarm run <wf> --mode http` end to end, session warm (no login):
 *                     process start, modules, Redis, the replay, storing the Run, shutdown
 * Medians of N runs each, interleaved so that load on the machine hits all three alike.
 * Figures as `name: value` lines on stdout; progress on stderr.
 * Usage: npm run bench -- cli [runs=9]
 */
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startFixtureSite } from '../test/fixtures/site/index.js';
import { runCli, seedFixtureWorkflow } from '../test/cli/cli-helpers.js';
import { quantile } from './lib/stats.js';

const N = Number(process.argv[2] ?? 9);
const CLI = fileURLToPath(new URL('../server/cli.js', import.meta.url));
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const out = (name: string, value: number) => process.stdout.write(`${name}: ${Number.isFinite(value) ? value.toFixed(value < 10 ? 3 : 1) : 'NaN'}\n`);

async function main(): Promise<void> {
  const site = await startFixtureSite({ pollIntervalMs: 60_000 });
  const prefix = `rf-bench-cli-${randomBytes(4).toString('hex')}:`;
  const seeded = await seedFixtureWorkflow(prefix, site.url);
  const env = { KEY_PREFIX: prefix, ALLOW_LOOPBACK_TARGETS: 'true', LOG_LEVEL: 'warn' };
  const runArgs = (i: number) => ['run', seeded.wf.id, '--mode', 'http', '--input', `title=bench ${i}`, '--input', 'password=s3cret-pass'];
  try {
    log(`warming the session (one run logs in) under ${prefix}`);
    const first = await runCli(runArgs(0), { cli: CLI, env });
    if (first.code !== 0) throw new Error(`the first run failed: ${first.stderr}`);
    const bare: number[] = [];
    const help: number[] = [];
    const run: number[] = [];
    for (let i = 1; i <= N; i++) {
      bare.push((await runCli(['-e', '0'], { cli: false, env })).ms);
      help.push((await runCli(['help'], { cli: CLI, env })).ms);
      const r = await runCli(runArgs(i), { cli: CLI, env });
      if (r.code !== 0) throw new Error(`run ${i} failed: ${r.stderr}`);
      run.push(r.ms);
      log(`round ${i}/${N}: node ${bare.at(-1)!.toFixed(0)} ms, help ${help.at(-1)!.toFixed(0)} ms, run ${run.at(-1)!.toFixed(0)} ms`);
    }
    out('runs', N);
    out('bare_node_ms', quantile(bare, 0.5));
    out('cli_help_ms', quantile(help, 0.5));
    out('cli_run_warm_ms', quantile(run, 0.5));
    out('help_over_bare_ratio', quantile(help, 0.5) / quantile(bare, 0.5));
  } finally {
    await seeded.close();
    await site.close();
  }
}

main().catch((err: unknown) => {
  log(`cli bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
});
