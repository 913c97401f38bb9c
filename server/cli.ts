#!/usr/bin/env node
// The entry point stays light: help, --version and bad flags are answered from node:* modules and
// cli-spec.ts alone; a command's heavy modules (Playwright, Bull, Express) load when it runs.
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cliFailure } from './cli-failure.js';
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
  if (command === 'record' || command === 'learn') {
    const local = await import('./cli-local.js');
    if (command === 'record') return local.record(positionals[0], { headless: values.headless === true, name: values.name as string | undefined });
    return local.learn(positionals[0], { name: values.name as string | undefined });
  }
  const failure = await (await quickCommands()).quick(command, values, positionals);
  if (failure) die(failure.message, failure.exitCode);
}

/** run, workflows and runs: the bundle `npm run build` makes beside this file, else (under tsx) the module itself. */
async function quickCommands(): Promise<typeof import('./cli-quick.js')> {
  const bundle = new URL('./cli-quick.bundle.mjs', import.meta.url);
  if (existsSync(fileURLToPath(bundle))) return import(bundle.href) as Promise<typeof import('./cli-quick.js')>;
  return import('./cli-quick.js');
}

main().catch((err: unknown) => {
  const { message, exitCode } = cliFailure(err);
  die(message, exitCode);
});
