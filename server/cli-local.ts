import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { AppError, type Workflow } from '../core/index.js';
import { Replayfarm } from './replayfarm.js';
import { describeWorkflow } from './describe-workflow.js';
import { UsageError } from './cli-spec.js';
import { onSignals, progress } from './cli-output.js';
import { storeCliRun } from './cli-run-record.js';

/** A Replayfarm with no API and no worker, for one-shot commands; the recorder only for those that record or learn. */
async function local(api = false, recorder = true): Promise<Replayfarm> {
  // a headless recording's API takes any free port unless PORT says otherwise (`serve` may hold 3000)
  const port = api && !process.env.PORT ? { port: 0 } : {};
  const rf = new Replayfarm({ api, recorder, worker: false, startQueue: api, config: { ...port, ...(process.env.LOG_LEVEL ? {} : { logLevel: 'warn' }) } });
  await rf.start();
  return rf;
}

function printWorkflow(wf: Workflow): void {
  process.stdout.write(describeWorkflow(wf) + '\n');
  const example = wf.inputs.filter((i) => !i.secret).map((i) => ` --input ${i.name}=${JSON.stringify(String(i.default ?? ''))}`).join('');
  process.stdout.write(`\nrun it:  replayfarm run ${wf.id}${example}\n`);
}

/**
 * Headed: the person works in the window. Headless there is no window: this process serves the API
 * (recordings live in the process that holds their browser) and says how to send the actions.
 */
export async function record(url: string | undefined, opts: { headless: boolean; name?: string }): Promise<void> {
  if (!url || !/^https?:\/\//.test(url)) throw new UsageError('record needs a start URL like https://example.com');
  const rf = await local(opts.headless);
  try {
    const api = opts.headless ? await rf.listen() : undefined;
    progress(`opening Chromium${opts.headless ? ' (headless)' : ''} at ${url}`);
    const rec = await rf.recordings.start({ startUrl: url, headed: !opts.headless, name: opts.name });
    if (api) {
      const base = `${api}/v1/recordings/${rec.id}`;
      progress(`recording ${rec.id} (headless, no window): drive it through the API, e.g.`);
      const auth = rf.config.apiKeys.length > 0 ? ` -H 'authorization: Bearer <one of API_KEYS>'` : '';
      progress(`  curl -s -X POST ${base}/actions${auth} -H 'content-type: application/json' -d '{"actions":[{"type":"click","selector":"text=Sign in"}]}'`);
      progress(`then save it with POST ${base}/stop (or press Ctrl-C here)`);
    } else progress(`recording ${rec.id}: do the task in the window, then close it (or press Ctrl-C here) to save`);
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

export async function learn(file: string | undefined, opts: { name?: string }): Promise<void> {
  if (!file) throw new UsageError('learn needs a HAR file: replayfarm learn capture.har');
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`no such file: ${file}`);
  progress(`reading ${file} (${(info.size / 1024 / 1024).toFixed(1)} MB)`);
  const body = await readFile(file);
  const rf = await local();
  try {
    progress('validating and learning…');
    const t0 = Date.now();
    const { recording, workflow } = await rf.recordings.ingest(body, { name: opts.name ?? file.split('/').pop() });
    progress(`learned in ${Date.now() - t0} ms: recording ${recording.id}, ${recording.entryCount} entries → ${workflow.steps.length} steps`);
    for (const w of recording.warnings ?? []) progress(`note: ${w}`);
    printWorkflow(workflow);
  } finally {
    await rf.close();
  }
}

export async function workflows(): Promise<void> {
  const rf = await local(false, false);
  try {
    const list = await rf.store.list<Workflow>('workflow', { limit: 500 });
    if (list.length === 0) progress(`no workflows yet under KEY_PREFIX=${rf.config.keyPrefix}: record one (replayfarm record URL) or learn a HAR (replayfarm learn FILE)`);
    for (const w of list) process.stdout.write(`${w.id}\t${w.name}\t${w.steps.length} steps\tinputs: ${w.inputs.map((i) => i.name).join(', ') || '-'}\n`);
  } finally {
    await rf.close();
  }
}

export async function runs(id: string | undefined, opts: { limit: string; json: boolean }): Promise<void> {
  if (!id) throw new UsageError('runs needs a workflow id (see: replayfarm workflows)');
  if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1) throw new UsageError(`--limit takes a whole number from 1, got "${opts.limit}"`);
  const rf = await local(false, false);
  try {
    if (!(await rf.store.get<Workflow>('workflow', id))) throw new AppError('not_found', `no workflow with id ${id} under KEY_PREFIX=${rf.config.keyPrefix} (see: replayfarm workflows)`);
    const list = await rf.queue.list(id, { limit: Number(opts.limit) });
    if (opts.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    else for (const r of list) process.stdout.write(`${r.id}\t${r.createdAt}\t${r.status}\t${r.mode}\t${r.durationMs ?? '-'} ms\t${r.worker ?? '-'}\n`);
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

export async function run(id: string | undefined, opts: { inputs: string[]; mode: string; session: string; json: boolean }): Promise<void> {
  if (!id) throw new UsageError('run needs a workflow id (see: replayfarm workflows)');
  if (!['auto', 'http', 'browser'].includes(opts.mode)) throw new UsageError('--mode is auto, http or browser');
  const rf = await local(false, false);
  try {
    const wf = await rf.store.get<Workflow>('workflow', id);
    if (!wf) throw new AppError('not_found', `no workflow with id ${id} under KEY_PREFIX=${rf.config.keyPrefix} (see: replayfarm workflows)`);
    const inputs = rf.replayer.validateInputs(wf, parseInputs(opts.inputs, wf));
    progress(`running ${wf.name} (${wf.steps.length} steps, mode ${opts.mode})…`);
    const createdAt = new Date();
    const result = await rf.replayer.run(wf, { inputs, mode: opts.mode as 'auto', session: opts.session });
    const stored = await storeCliRun(rf, wf, { inputs, mode: opts.mode as 'auto', session: opts.session, createdAt, worker: `cli:${hostname()}:${process.pid}` }, result);
    if (opts.json) process.stdout.write(JSON.stringify(stored, null, 2) + '\n');
    else {
      for (const s of result.steps) progress(`  ${s.id} ${s.status}${s.httpStatus ? ` ${s.httpStatus}` : ''} ${s.ms} ms${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`);
      if (result.fallback) progress(`  session repaired in a browser (${result.fallback.reason}, ${result.fallback.ms} ms)`);
      progress(`${result.status} in ${result.durationMs} ms (mode ${result.mode}); run ${stored.id}`);
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
