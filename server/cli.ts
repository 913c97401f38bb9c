#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/index.js';
import { Replayfarm } from './replayfarm.js';

const USAGE = `usage: replayfarm <command> [options]

commands:
  serve [--no-worker]   run the API (and, by default, a worker) on HOST:PORT
  help                  this text

Configuration comes from environment variables (see README).`;

/** Prints one clear sentence and exits non-zero: the CLI never shows a stack trace for bad input. */
function die(message: string, code = 1): never {
  process.stderr.write(`replayfarm: ${message}\n`);
  process.exit(code);
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'no-worker': { type: 'boolean', default: false } }, strict: true });
  const rf = new Replayfarm({});
  void values;
  const url = await rf.listen();
  process.stderr.write(`replayfarm: API listening on ${url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    rf.logger.info('shutting down', { signal });
    rf.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      die(`unknown command "${command}"\n${USAGE}`, 2);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) die(`configuration: ${err.message}`, 2);
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code === 'EADDRINUSE') die(`the port is already in use: ${(err as Error).message}`);
  if (code.startsWith('ERR_PARSE_ARGS')) die((err as Error).message, 2);
  die((err as Error)?.message ?? String(err));
});
