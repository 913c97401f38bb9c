import type { ParseArgsConfig } from 'node:util';

/**
 * What the CLI accepts, command by command: the usage text, each command's --help and its options.
 * Kept apart from the commands themselves so that `help`, `--help`, `--version` and bad flags are
 * answered without loading Playwright, Bull or Express.
 */
export interface CommandSpec {
  /** One line (or two) in the overall usage. */
  usage: string;
  /** What `replayfarm <command> --help` prints under the usage line. */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  positionals?: string;
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

export const COMMANDS: Record<string, CommandSpec> = {
  serve: {
    usage: 'serve [--no-worker]',
    help: 'Runs the API on HOST:PORT, and a worker in the same process unless --no-worker.\n  --no-worker   the API only (scale out with `replayfarm worker` processes)',
    options: { 'no-worker': { type: 'boolean', default: false }, ...HELP_OPTION },
  },
  worker: {
    usage: 'worker',
    help: 'Runs a worker only: it takes runs from the queue on REDIS_URL/KEY_PREFIX. Start as many as you like.\nWith WORKER_HTTP_PORT set (not 0) it serves /healthz, /readyz and /metrics on HOST:WORKER_HTTP_PORT.',
    options: { ...HELP_OPTION },
  },
  record: {
    usage: 'record <url> [--headless] [--name N]',
    help:
      'Opens Chromium at <url> and records what you do; closing the window (or Ctrl-C) saves the\n' +
      'recording, learns a workflow and prints how to run it.\n' +
      '  --headless   no window: drive the recording through the API (POST /v1/recordings/:id/actions\n' +
      '               on a `replayfarm serve` sharing this Redis and KEY_PREFIX); Ctrl-C saves it\n' +
      '  --name N     the workflow name',
    options: { headless: { type: 'boolean', default: false }, name: { type: 'string' }, ...HELP_OPTION },
    positionals: '<url>',
  },
  learn: {
    usage: 'learn <file.har> [--name N]',
    help: 'Uploads a HAR file, validates it and learns a workflow (printed, with how to run it).\n  --name N   the workflow name (default: the file name)',
    options: { name: { type: 'string' }, ...HELP_OPTION },
    positionals: '<file.har>',
  },
  workflows: {
    usage: 'workflows',
    help: 'Lists the stored workflows: id, name, steps, inputs.',
    options: { ...HELP_OPTION },
  },
  runs: {
    usage: 'runs <workflow-id> [--limit N] [--json]',
    help: "Lists a workflow's runs, newest first (those started by the API and by `replayfarm run`).\n  --limit N   how many (default 20)\n  --json      the Run records as JSON",
    options: { limit: { type: 'string', default: '20' }, json: { type: 'boolean', default: false }, ...HELP_OPTION },
    positionals: '<workflow-id>',
  },
  run: {
    usage: 'run <workflow-id> [--input k=v]… [--mode auto|http|browser] [--session NAME] [--json]',
    help:
      'Runs a workflow here and prints its output; the run is stored in its run history like an API run.\n' +
      '  --input k=v        an input value (repeat for more)\n' +
      '  --mode M           auto (default), http or browser\n' +
      '  --session NAME     the session to use and keep (default "default")\n' +
      '  --json             the whole Run as JSON',
    options: {
      input: { type: 'string', multiple: true, default: [] },
      mode: { type: 'string', default: 'auto' },
      session: { type: 'string', default: 'default' },
      json: { type: 'boolean', default: false },
      ...HELP_OPTION,
    },
    positionals: '<workflow-id>',
  },
};

export const USAGE = `usage: replayfarm <command> [options]

commands:
  serve [--no-worker]                 run the API (and a worker, unless --no-worker) on HOST:PORT
  worker                              run a worker only (scale out: start as many as you like)
  record <url> [--headless] [--name N] open Chromium at <url>, record what you do; closing the
                                      window (or Ctrl-C) saves the recording and learns a workflow
  learn <file.har> [--name N]         upload a HAR file and learn a workflow
  workflows                           list workflows
  run <workflow-id> [--input k=v]… [--mode auto|http|browser] [--session NAME] [--json]
                                      run a workflow here, store it in its history, print its output
  runs <workflow-id> [--limit N] [--json]
                                      a workflow's run history, newest first
  help [command]                      this text, or a command's (also: replayfarm <command> --help)
  --version                           the version

Configuration comes from environment variables (see README): REDIS_URL, KEY_PREFIX, …`;

export function commandHelp(name: string): string {
  const spec = COMMANDS[name]!;
  return `usage: replayfarm ${spec.usage}\n\n${spec.help}\n\nConfiguration comes from environment variables (see README): REDIS_URL, KEY_PREFIX, …`;
}

/** Bad input: one sentence on stderr and exit code 2. */
export class UsageError extends Error {}
