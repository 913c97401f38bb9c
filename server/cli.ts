#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { readFile, stat } from 'node:fs/promises';
import { AppError, ConfigError, isAppError, type Workflow } from '../core/index.js';
import { Replayfarm } from './replayfarm.js';
import { describeWorkflow } from './describe-workflow.js';

const USAGE = `usage: replayfarm <command> [options]

commands:
  serve [--no-worker]                 run the API (and a worker, unless --no-worker) on HOST:PORT
  worker                              run a worker only (scale out: start as many as you like)
  record <url> [--headless] [--name N] open Chromium at <url>, record what you do; closing the
                                      window (or Ctrl-C) saves the recording and learns a workflow
  learn <file.har> [--name N]         upload a HAR file and learn a workflow
  workflows                           list workflows
  run <workflow-id> [--input k=v]… [--mode auto|http|browser] [--session NAME] [--json]
                                      run a workflow here and print its output
  help                                this text

Configuration comes from environment variables (see README): REDIS_URL, KEY_PREFIX, …`;

class UsageError extends Error {}

const progress = (msg: string) => process.stderr.write(`replayfarm: ${msg}\n`);

/** Prints one clear sentence and exits non-zero: the CLI never shows a stack trace for bad input. */
function die(message: string, code = 1): never {
  process.stderr.write(`replayfarm: ${message}\n`);
  process.exit(code);
}

function onSignals(stop: (signal: string) => void): void {
  let stopping = false;
  const once = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stop(signal);
  };
  process.on('SIGTERM', () => once('SIGTERM'));
  process.on('SIGINT', () => once('SIGINT'));
}

async function serve(argv: string[], worker: boolean, api: boolean): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'no-worker': { type: 'boolean', default: false } }, strict: true });
  const rf = new Replayfarm({ worker: worker && !values['no-worker'], api });
  if (api) {
    const url = await rf.listen();
    progress(`API listening on ${url}${worker && !values['no-worker'] ? ' (with a worker)' : ''}`);
  } else {
    await rf.start();
    progress(`worker started (concurrency ${rf.config.workerConcurrency}) on ${rf.config.redisUrl}`);
  }
  onSignals((signal) => {
    rf.logger.info('shutting down', { signal });
    rf.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

/** A Replayfarm with no API and no worker, for one-shot commands. */
async function local(): Promise<Replayfarm> {
  const rf = new Replayfarm({ api: false, worker: false, config: process.env.LOG_LEVEL ? {} : { logLevel: 'warn' } });
  await rf.start();
  return rf;
}

function printWorkflow(wf: Workflow): void {
  process.stdout.write(describeWorkflow(wf) + '\n');
  const example = wf.inputs.filter((i) => !i.secret).map((i) => ` --input ${i.name}=${JSON.stringify(String(i.default ?? ''))}`).join('');
  process.stdout.write(`\nrun it:  replayfarm run ${wf.id}${example}\n`);
}

async function record(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { headless: { type: 'boolean', default: false }, name: { type: 'string' } } });
  const url = positionals[0];
  if (!url || !/^https?:\/\//.test(url)) throw new UsageError('record needs a start URL like https://example.com');
  const rf = await local();
  try {
    progress(`opening Chromium${values.headless ? ' (headless)' : ''} at ${url}`);
    const rec = await rf.recordings.start({ startUrl: url, headed: !values.headless, name: values.name });
    progress(`recording ${rec.id}: do the task in the window, then close it (or press Ctrl-C here) to save`);
    onSignals(() => {
      progress('saving…');
      rf.recordings.stop(rec.id).catch(() => {});
    });
    const { recording, workflow } = await rf.recordings.waitForStop(rec.id);
    progress(`saved recording ${recording.id} (${recording.actions.length} actions, ${recording.entryCount} requests)`);
    printWorkflow(workflow);
  } finally {
    await rf.close();
  }
}

async function learn(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' } } });
  const file = positionals[0];
  if (!file) throw new UsageError('learn needs a HAR file: replayfarm learn capture.har');
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`no such file: ${file}`);
  progress(`reading ${file} (${(info.size / 1024 / 1024).toFixed(1)} MB)`);
  const body = await readFile(file);
  const rf = await local();
  try {
    progress('validating and learning…');
    const t0 = Date.now();
    const { recording, workflow } = await rf.recordings.ingest(body, { name: values.name ?? file.split('/').pop() });
    progress(`learned in ${Date.now() - t0} ms: recording ${recording.id}, ${recording.entryCount} entries → ${workflow.steps.length} steps`);
    for (const w of recording.warnings ?? []) progress(`note: ${w}`);
    printWorkflow(workflow);
  } finally {
    await rf.close();
  }
}

async function workflows(): Promise<void> {
  const rf = await local();
  try {
    const list = await rf.store.list<Workflow>('workflow', { limit: 500 });
    if (list.length === 0) progress('no workflows yet: record one (replayfarm record URL) or learn a HAR (replayfarm learn FILE)');
    for (const w of list) process.stdout.write(`${w.id}\t${w.name}\t${w.steps.length} steps\tinputs: ${w.inputs.map((i) => i.name).join(', ') || '-'}\n`);
  } finally {
    await rf.close();
  }
}

function parseInputs(pairs: string[], wf: Workflow): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--input takes name=value, got "${pair}"`);
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    const type = wf.inputs.find((i) => i.name === name)?.type;
    inputs[name] = type === 'number' && raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : type === 'boolean' && (raw === 'true' || raw === 'false') ? raw === 'true' : raw;
  }
  return inputs;
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { input: { type: 'string', multiple: true, default: [] }, mode: { type: 'string', default: 'auto' }, session: { type: 'string', default: 'default' }, json: { type: 'boolean', default: false } },
  });
  const id = positionals[0];
  if (!id) throw new UsageError('run needs a workflow id (see: replayfarm workflows)');
  if (!['auto', 'http', 'browser'].includes(values.mode!)) throw new UsageError('--mode is auto, http or browser');
  const rf = await local();
  try {
    const wf = await rf.store.get<Workflow>('workflow', id);
    if (!wf) throw new AppError('not_found', `no workflow with id ${id} (see: replayfarm workflows)`);
    const inputs = rf.replayer.validateInputs(wf, parseInputs(values.input!, wf));
    progress(`running ${wf.name} (${wf.steps.length} steps, mode ${values.mode})…`);
    const result = await rf.replayer.run(wf, { inputs, mode: values.mode as 'auto', session: values.session });
    if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      for (const s of result.steps) progress(`  ${s.id} ${s.status}${s.httpStatus ? ` ${s.httpStatus}` : ''} ${s.ms} ms${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`);
      if (result.fallback) progress(`  session repaired in a browser (${result.fallback.reason}, ${result.fallback.ms} ms)`);
      progress(`${result.status} in ${result.durationMs} ms (mode ${result.mode})`);
      if (result.output) process.stdout.write((typeof result.output.body === 'string' ? result.output.body : JSON.stringify(result.output.body, null, 2)) + '\n');
    }
    if (result.status !== 'succeeded') {
      process.exitCode = 1;
      if (result.error) progress(`error ${result.error.code}: ${result.error.message}`);
    }
  } finally {
    await rf.close();
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve(rest, true, true);
    case 'worker':
      return serve(rest, true, false);
    case 'record':
      return record(rest);
    case 'learn':
      return learn(rest);
    case 'workflows':
      return workflows();
    case 'run':
      return run(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) die(err.message, 2);
  if (err instanceof ConfigError) die(`configuration: ${err.message}`, 2);
  if (isAppError(err)) {
    const detail = err.details?.slice(0, 5).map((d) => `\n  ${d.path ?? ''} ${d.message}`).join('') ?? '';
    die(`${err.code}: ${err.message}${detail}`);
  }
  const code = String((err as { code?: unknown })?.code ?? '');
  if (code === 'EADDRINUSE') die(`the port is already in use: ${(err as Error).message}`);
  if (code.startsWith('ERR_PARSE_ARGS')) die((err as Error).message, 2);
  die((err as Error)?.message ?? String(err));
});
