import { Router } from 'express';
import { AppError, describeChanges, migrateWorkflow, versionOf, withSettingsOf, WorkflowVersions, type RedisStore, type Workflow, type WorkflowCandidate } from '../../core/index.js';
import { saveNextVersion } from '../workflow-save.js';
import { idOf } from '../validate.js';
import { loadWorkflow } from './workflows.js';

export interface WorkflowVersionRouteDeps {
  store: RedisStore;
  clock: () => number;
}

/** A version number from the path: a whole number from 1, else 404 (it names nothing). */
function versionParam(raw: string | undefined, what = 'version'): number {
  const n = Number(raw);
  if (!/^\d{1,9}$/.test(String(raw)) || n < 1) throw new AppError('not_found', `No ${what} ${String(raw).slice(0, 20)}`);
  return n;
}

/**
 * A workflow's versions: every change (an edit, learning it again, making an older version current)
 * makes a new one; any can be read, compared with another in plain words, and made current again.
 */
export function workflowVersionRoutes(deps: WorkflowVersionRouteDeps): Router {
  const r = Router();
  const versions = new WorkflowVersions(deps.store);
  const workflowId = idOf('workflow');
  const versionOfWorkflow = async (wf: Workflow, n: number): Promise<Workflow> => {
    if (n === versionOf(wf)) return wf;
    const found = await versions.get(wf.id, n);
    if (!found) throw new AppError('not_found', `Workflow ${wf.id} has no version ${n} (see GET /v1/workflows/${wf.id}/versions)`);
    return migrateWorkflow(found);
  };

  r.get('/workflows/:id/versions', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    const candidate = await versions.candidate(wf.id);
    const { workflow: _w, ...summary } = candidate ?? ({} as Partial<WorkflowCandidate>);
    res.json({ current: versionOf(wf), versions: await versions.list(wf), ...(candidate ? { candidate: summary } : {}) });
  });

  r.get('/workflows/:id/candidate', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    const candidate = await versions.candidate(wf.id);
    if (!candidate) throw new AppError('not_found', `Workflow ${wf.id} has no candidate version`);
    res.json(candidate);
  });

  r.post('/workflows/:id/candidate/promote', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    const candidate = await versions.candidate(wf.id);
    if (!candidate) throw new AppError('not_found', `Workflow ${wf.id} has no candidate version`);
    if (candidate.basedOn !== versionOf(wf)) throw new AppError('conflict', `the candidate was learned against version ${candidate.basedOn}; the workflow is at version ${versionOf(wf)} now`);
    const next: Workflow = withSettingsOf(wf, { ...candidate.workflow, id: wf.id, createdAt: wf.createdAt, updatedAt: new Date(deps.clock()).toISOString() });
    const saved = await saveNextVersion(deps.store, versions, wf, next, 'healed', `candidate promoted (learned after: ${candidate.reason})`);
    await versions.dropCandidate(wf.id);
    res.json(saved);
  });

  r.delete('/workflows/:id/candidate', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    if (!(await versions.dropCandidate(wf.id))) throw new AppError('not_found', `Workflow ${wf.id} has no candidate version`);
    res.status(204).end();
  });

  r.get('/workflows/:id/versions/:version', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    res.json(await versionOfWorkflow(wf, versionParam((req.params as Record<string, string>).version)));
  });

  r.get('/workflows/:id/versions/:version/changes', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    const from = versionParam((req.params as Record<string, string>).version);
    const to = req.query.to === undefined ? versionOf(wf) : versionParam(String(req.query.to), 'version (query.to)');
    const [a, b] = await Promise.all([versionOfWorkflow(wf, from), versionOfWorkflow(wf, to)]);
    res.json({ from, to, changes: describeChanges(a, b) });
  });

  r.post('/workflows/:id/versions/:version/promote', workflowId, async (req, res) => {
    const wf = await loadWorkflow(deps.store, req.params.id);
    const n = versionParam((req.params as Record<string, string>).version);
    if (n === versionOf(wf)) throw new AppError('conflict', `version ${n} is already the current one`);
    const older = await versionOfWorkflow(wf, n);
    const next: Workflow = { ...older, id: wf.id, createdAt: wf.createdAt, updatedAt: new Date(deps.clock()).toISOString() };
    res.json(await saveNextVersion(deps.store, versions, wf, next, 'promoted', `version ${n} made current again`));
  });
  return r;
}
