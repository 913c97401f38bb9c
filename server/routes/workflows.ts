import { Router } from 'express';
import { AppError, migrateWorkflow, withSettingsOf, WorkflowVersions, type RedisStore, type Workflow } from '../../core/index.js';
import { applyWorkflowPatch } from '../workflow-patch.js';
import { saveNextVersion } from '../workflow-save.js';
import type { RecordingManager } from '../../recorder/index.js';
import { targetOf } from './recordings.js';
import { idOf, pagination, requireIdOf } from '../validate.js';

export interface WorkflowRouteDeps {
  store: RedisStore;
  clock: () => number;
  /** Learns a workflow again with another target (PATCH {target}). */
  recordings?: Pick<RecordingManager, 'relearn'>;
  /** Called after a delete, to drop what hangs off the workflow (sessions, runs, its recording's link to it). */
  onDelete?: (id: string, wf: Workflow) => Promise<void>;
}

export async function loadWorkflow(store: RedisStore, id: string): Promise<Workflow> {
  const wf = await store.get<Workflow>('workflow', requireIdOf('workflow', id));
  if (!wf) throw new AppError('not_found', `No workflow with id ${id}`);
  return migrateWorkflow(wf);
}

export function workflowRoutes(deps: WorkflowRouteDeps): Router {
  const r = Router();
  const workflowId = idOf('workflow');
  const versions = new WorkflowVersions(deps.store);
  r.get('/workflows', async (req, res) => {
    const page = pagination(req.query as Record<string, unknown>);
    const workflows = await deps.store.list<Workflow>('workflow', page);
    const waiting = await versions.withCandidate(workflows.map((w) => w.id));
    res.json({
      workflows: workflows.map((w) => ({
        id: w.id,
        name: w.name,
        createdAt: w.createdAt,
        updatedAt: w.updatedAt,
        origins: w.origins,
        steps: w.steps.length,
        inputs: w.inputs.map((i) => i.name),
        version: w.version ?? 1,
        heal: w.heal ?? 'propose',
        ...(waiting.has(w.id) ? { candidate: true } : {}),
      })),
      ...page,
    });
  });
  r.get('/workflows/:id', workflowId, async (req, res) => {
    res.json(await loadWorkflow(deps.store, req.params.id));
  });
  r.patch('/workflows/:id', workflowId, async (req, res) => {
    const current = await loadWorkflow(deps.store, req.params.id);
    let wf = current;
    const body = req.body as Record<string, unknown> | undefined;
    if (body && typeof body === 'object' && !Array.isArray(body) && body.target !== undefined) {
      // Another result: learned again from the recording (any request it holds), same id and name.
      const target = targetOf(body.target, 'target')!;
      if (!wf.recordingId || !deps.recordings) throw new AppError('invalid_request', 'This workflow has no recording to learn again from', { details: [{ path: 'target', message: 'no recording' }] });
      const again = await deps.recordings.relearn(wf.recordingId, target, { workflowId: wf.id, name: wf.name });
      wf = withSettingsOf(wf, { ...again, createdAt: wf.createdAt });
      const { target: _t, ...rest } = body;
      if (Object.keys(rest).length === 0) {
        wf.updatedAt = new Date(deps.clock()).toISOString();
        res.json(await saveNextVersion(deps.store, versions, current, wf, 'relearned'));
        return;
      }
      req.body = rest;
    }
    const next = applyWorkflowPatch(wf, req.body, new Date(deps.clock()));
    res.json(await saveNextVersion(deps.store, versions, current, next, wf === current ? 'edited' : 'relearned'));
  });
  r.delete('/workflows/:id', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    await deps.store.delete('workflow', wf.id);
    await versions.remove(wf.id);
    await deps.onDelete?.(wf.id, wf);
    res.status(204).end();
  });
  return r;
}
