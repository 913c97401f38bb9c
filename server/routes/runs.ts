import { Router } from 'express';
import { AppError, type RedisStore, type Run, type Workflow } from '../../core/index.js';
import type { RunQueue } from '../../replayer/index.js';
import { Checker, idOf, pagination, requireObject } from '../validate.js';
import { loadWorkflow } from './workflows.js';
import type { WorkflowCache } from '../workflow-cache.js';

export interface RunRouteDeps {
  store: RedisStore;
  queue: RunQueue;
  /** Checks inputs against the workflow's input schema; throws invalid_input naming each bad field. */
  validateInputs: (wf: Workflow, inputs: Record<string, unknown>) => Record<string, unknown>;
  /** Reuses parsed workflows across calls (and tells the worker which version was checked). Unset: read each time. */
  workflows?: WorkflowCache;
}

/** Default and longest time a POST …/runs waits for the result before answering 202. */
const DEFAULT_WAIT_S = 30;
const MAX_WAIT_S = 300;

export function runRoutes(deps: RunRouteDeps): Router {
  const r = Router();
  const workflowId = idOf('workflow');

  r.post('/workflows/:id/runs', workflowId, async (req, res) => {
    // A cached copy is checked by the enqueue itself (same round trip); a stale one is read again.
    let cached = deps.workflows?.cached(req.params.id);
    const load = async (): Promise<{ wf: Workflow; version?: string }> => {
      if (!deps.workflows) return { wf: await loadWorkflow(deps.store, req.params.id) };
      const found = await deps.workflows.load(req.params.id);
      if (!found) throw new AppError('not_found', `No workflow with id ${req.params.id}`);
      return found;
    };
    let { wf, version: workflowVersion } = cached ?? (await load());
    const body = requireObject(req.body ?? {});
    const c = new Checker(body);
    const mode = c.oneOf('mode', ['auto', 'http', 'browser'] as const);
    const session = c.string('session', { max: 100 });
    const wait = c.number('wait', 0, MAX_WAIT_S) ?? DEFAULT_WAIT_S;
    const webhook = c.httpUrl('webhook');
    if (body.inputs !== undefined && (body.inputs === null || typeof body.inputs !== 'object' || Array.isArray(body.inputs))) {
      c.details.push({ path: 'inputs', message: 'must be an object keyed by input name' });
    }
    for (const k of Object.keys(body)) {
      if (!['inputs', 'mode', 'session', 'wait', 'webhook'].includes(k)) c.details.push({ path: k, message: 'is not a run option (inputs, mode, session, wait, webhook)' });
    }
    if (session !== undefined && !/^[\w.-]{1,100}$/.test(session)) c.details.push({ path: 'session', message: 'letters, digits, _ . - only' });
    c.done();
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new AppError('invalid_request', 'Idempotency-Key must be 1 to 200 visible ASCII characters', [{ path: 'Idempotency-Key', message: 'invalid' }]);
    }
    const enqueue = () =>
      deps.queue.enqueue({
        workflowId: wf.id,
        inputs: deps.validateInputs(wf, (body.inputs as Record<string, unknown> | undefined) ?? {}),
        secretInputs: wf.inputs.filter((i) => i.secret).map((i) => i.name),
        mode: mode ?? 'auto',
        session: session ?? 'default',
        idempotencyKey,
        webhookUrl: webhook,
        workflowVersion,
      });
    let run: Run;
    try {
      ({ run } = await enqueue());
    } catch (err) {
      // Inputs refused by a cached copy are checked again against the stored workflow: it may have changed.
      const changed = err instanceof AppError && ((err.code === 'conflict' && err.details?.[0]?.path === 'workflow') || err.code === 'invalid_input');
      const stale = cached && changed;
      if (!stale) throw err;
      cached = undefined;
      ({ wf, version: workflowVersion } = await load());
      ({ run } = await enqueue());
    }
    const finished = wait > 0 ? await deps.queue.waitFor(run.id, wait * 1000) : run;
    const done = finished.status === 'succeeded' || finished.status === 'failed';
    res.setHeader('Location', `/v1/runs/${run.id}`);
    res.status(done ? 200 : 202).json(finished);
  });

  r.get('/workflows/:id/runs', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    const { limit, offset } = pagination(req.query as Record<string, unknown>);
    const runs: Run[] = await deps.queue.list(wf.id, { limit, offset });
    res.json({ runs, limit, offset });
  });

  r.get('/runs/:id', idOf('run'), async (req, res) => {
    const run = await deps.queue.get(req.params.id);
    if (!run) throw new AppError('not_found', `No run with id ${req.params.id}`);
    res.json(run);
  });

  return r;
}
