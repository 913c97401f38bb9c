import { Router, type Request } from 'express';
import type { RedisStore } from '../../core/index.js';
import { apiDocument, workflowDocument } from '../openapi.js';
import { loadWorkflow } from './workflows.js';
import { idOf } from '../validate.js';

const baseUrl = (req: Request) => `${req.protocol}://${req.get('host')}`;

export function openapiRoutes(deps: { store: RedisStore }): Router {
  const r = Router();
  r.get('/openapi.json', (req, res) => {
    res.json(apiDocument(baseUrl(req)));
  });
  r.get('/workflows/:id/openapi.json', idOf('workflow'), async (req, res) => {
    res.json(workflowDocument(await loadWorkflow(deps.store, req.params.id), baseUrl(req)));
  });
  return r;
}
