#!/usr/bin/env node
// The entry point stays light: help, --version and bad flags are answered from node:* modules and
// cli-spec.ts alone; a command's heavy modules (Playwright, Bull, Express) load when it runs.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { CONFIG_VARS, ConfigError } from '../core/config.js';
import { redactRedisUrl } from '../core/redis-url.js';
import { isAppError } from '../core/errors.js';
import { COMMANDS, USAGE, UsageError, commandHelp } from './cli-spec.js';

/** Prints one clear sentence and exits non-zero: the CLI never shows a stack trace for bad input. */
function die(message: string, code = 1): never {
  process.stderr.write(`replayfarm: ${message}\n`);
  process.exit(code);
}

/** package.json's version, from server/ (tsx) or dist/server/ (compiled): the nearest one up. */
function version(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'replayfarm') return pkg.version ?? 'unknown';
    } catch {
      // not this one
    }
  }
  return 'unknown';
}

/** parseArgs' messages name its own internals; say it in the CLI's words instead. */
function parseCommand(name: string, argv: string[]) {
  const spec = COMMANDS[name]!;
  try {
    return parseArgs({ args: argv, options: spec.options, allowPositionals: spec.positionals !== undefined, strict: true });
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? '');
    const see = `see: replayfarm ${name} --help`;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec((err as Error).message)?.[1] ?? 'that option';
      throw new UsageError(`${name} has no option ${flag} (${see})`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`${name} takes no ${spec.positionals ? 'further ' : ''}arguments: "${argv.find((a) => !a.startsWith('-'))}" (${see})`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(`${(err as Error).message.replace(/^Option '([^']+)'.*$/s, 'option $1 needs a value')} (${see})`);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const about = command === 'help' ? rest[0] : undefined;
    if (about !== undefined && !COMMANDS[about]) throw new UsageError(`no command "${about}"\n${USAGE}`);
    process.stdout.write((about ? commandHelp(about) : USAGE) + '\n');
    return;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`replayfarm ${version()}\n`);
    return;
  }
  if (!COMMANDS[command]) {
    throw new UsageError(command.startsWith('-') ? `unknown option ${command} (see: replayfarm help)` : `unknown command "${command}"\n${USAGE}`);
  }
  const { values, positionals } = parseCommand(command, rest);
  if (values.help) {
    process.stdout.write(commandHelp(command) + '\n');
    return;
  }
  if (command === 'serve' || command === 'worker') {
    const { serve } = await import('./cli-serve.js');
    return serve({ api: command === 'serve', worker: command === 'worker' || !values['no-worker'] });
  }
  const local = await import('./cli-local.js');
  if (command === 'record') return local.record(positionals[0], { headless: values.headless === true, name: values.name as string | undefined });
  if (command === 'learn') return local.learn(positionals[0], { name: values.name as string | undefined });
  if (command === 'workflows') return local.workflows();
  if (command === 'runs') return local.runs(positionals[0], { limit: values.limit as string, json: values.json === true });
  return local.run(positionals[0], { inputs: values.input as string[], mode: values.mode as string, session: values.session as string, json: values.json === true });
}

/** Which Redis could not be reached, why, and what to do (the password shown as ***). */
function redisUnavailable(err: Error): string {
  const url = redactRedisUrl(process.env.REDIS_URL || CONFIG_VARS.find((v) => v.env === 'REDIS_URL')!.default);
  const cause = (err.cause as Error | undefined)?.message;
  return `redis_unavailable: Redis at ${url} is not reachable${cause ? ` (${cause})` : ''}: start Redis there, or set REDIS_URL to a running one`;
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) die(err.message, 2);
  if (err instanceof ConfigError) die(`configuration: ${err.message}`, 2);
  if (isAppError(err) && err.code === 'redis_unavailable') die(redisUnavailable(err));
  if (isAppError(err)) {
    const detail = err.details?.slice(0, 5).map((d) => `\n  ${d.path ?? ''} ${d.message}`).join('') ?? '';
    die(`${err.code}: ${err.message}${detail}`);
  }
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code === 'EADDRINUSE') die(`the port is already in use: ${(err as Error).message}`);
  die((err as Error)?.message ?? String(err));
});
