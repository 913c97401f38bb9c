import { Router } from 'express';
import { AppError, type RedisStore, type Run } from '../../core/index.js';
import type { RunQueue, RunSubmitter } from '../../replayer/index.js';
import { bodyChecker, idOf, pagination, queryChecker, requireIdOf } from '../validate.js';
import { DEFAULT_WAIT_S, RunBody, RunsQuery } from '../schemas/index.js';
import { loadWorkflow } from './workflows.js';

export interface RunRouteDeps {
  store: RedisStore;
  queue: RunQueue;
  /** Finds the workflow, checks the inputs against it and queues the run. */
  runs: RunSubmitter;
}

export function runRoutes(deps: RunRouteDeps): Router {
  const r = Router();
  const workflowId = idOf('workflow');
  const runBody = bodyChecker(RunBody);

  r.post('/workflows/:id/runs', workflowId, async (req, res) => {
    // Found first: an unknown workflow is a 404 whatever the body.
    const target = await deps.runs.target(req.params.id);
    const body = runBody(req.body ?? {});
    const { mode, session, webhook } = body;
    const wait = body.wait ?? DEFAULT_WAIT_S;
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new AppError('invalid_request', 'Idempotency-Key must be 1 to 200 visible ASCII characters', { details: [{ path: 'Idempotency-Key', message: 'invalid' }] });
    }
    const run = await deps.runs.submit(target, { inputs: body.inputs, mode, session, idempotencyKey, webhookUrl: webhook ?? undefined });
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

  const runsQuery = queryChecker(RunsQuery);
  r.get('/runs', async (req, res) => {
    const q = runsQuery(req.query);
    const { limit, offset } = pagination(req.query as Record<string, unknown>);
    if (q.workflowId !== undefined) await loadWorkflow(deps.store, requireIdOf('workflow', q.workflowId));
    const { runs, complete } = await deps.queue.search({ workflowId: q.workflowId, status: q.status, mode: q.mode, limit, offset });
    res.json({ runs, limit, offset, ...(complete ? {} : { complete: false }) });
  });

  r.get('/runs/:id', idOf('run'), async (req, res) => {
    const run = await deps.queue.get(req.params.id);
    if (!run) throw new AppError('not_found', `No run with id ${req.params.id}`);
    res.json(run);
  });

  return r;
}
