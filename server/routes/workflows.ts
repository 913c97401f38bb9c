import { Router } from 'express';
import { AppError, type RedisStore, type Workflow } from '../../core/index.js';
import { applyWorkflowPatch } from '../workflow-patch.js';
import { pagination } from '../validate.js';

export interface WorkflowRouteDeps {
  store: RedisStore;
  clock: () => number;
  /** Called after a delete, to drop what hangs off the workflow (sessions, runs). */
  onDelete?: (id: string) => Promise<void>;
}

export async function loadWorkflow(store: RedisStore, id: string): Promise<Workflow> {
  const wf = await store.get<Workflow>('workflow', id);
  if (!wf) throw new AppError('not_found', `No workflow with id ${id}`);
  return wf;
}

export function workflowRoutes(deps: WorkflowRouteDeps): Router {
  const r = Router();
  r.get('/workflows', async (req, res) => {
    const page = pagination(req.query as Record<string, unknown>);
    const workflows = await deps.store.list<Workflow>('workflow', page);
    res.json({
      workflows: workflows.map((w) => ({
        id: w.id,
        name: w.name,
        createdAt: w.createdAt,
        updatedAt: w.updatedAt,
        origins: w.origins,
        steps: w.steps.length,
        inputs: w.inputs.map((i) => i.name),
      })),
      ...page,
    });
  });
  r.get('/workflows/:id', async (req, res) => {
    res.json(await loadWorkflow(deps.store, req.params.id));
  });
  r.patch('/workflows/:id', async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    const next = applyWorkflowPatch(wf, req.body, new Date(deps.clock()));
    await deps.store.update('workflow', wf.id, next);
    res.json(next);
  });
  r.delete('/workflows/:id', async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    await deps.store.delete('workflow', wf.id);
    await deps.onDelete?.(wf.id);
    res.status(204).end();
  });
  return r;
}
