import { Router } from 'express';
import { isWorkflowEvent, type Run } from '../../core/index.js';
import type { RunEvents } from '../run-events.js';
import { queryChecker, requireIdOf } from '../validate.js';
import { RunsQuery } from '../schemas/index.js';

export interface RunEventRouteDeps {
  events: RunEvents;
  /** A comment line this often keeps proxies from closing a quiet stream (ms). */
  heartbeatMs?: number;
}

/**
 * GET /v1/runs/events: Server-Sent Events, `event: run` with the Run as JSON each time a run is
 * queued, starts or finishes on any worker (what the console's history follows). `workflowId`,
 * `status` and `mode` narrow it as in GET /v1/runs. `event: workflow` (core WorkflowEvent) says
 * what happened to a workflow: it started falling back to the browser, a healed version was
 * promoted, a candidate waits, a heal was rejected; `workflowId` narrows these too.
 */
export function runEventRoutes(deps: RunEventRouteDeps): Router {
  const r = Router();
  const eventsQuery = queryChecker(RunsQuery);
  r.get('/runs/events', async (req, res) => {
    const q = eventsQuery(req.query);
    if (q.workflowId !== undefined) requireIdOf('workflow', q.workflowId);
    const keep = (run: Run) => (!q.workflowId || run.workflowId === q.workflowId) && (!q.status || run.status === q.status) && (!q.mode || run.mode === q.mode);
    const stop = await deps.events.follow(
      (e) => {
        if (isWorkflowEvent(e)) {
          if (!q.workflowId || e.workflowId === q.workflowId) res.write(`event: workflow\ndata: ${JSON.stringify(e)}\n\n`);
        } else if (keep(e)) res.write(`event: run\nid: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
      },
      () => res.end(),
    );
    if (req.socket.destroyed) return stop(); // the client left while the subscription was made
    res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    res.write(': following runs\n\n');
    const beat = setInterval(() => res.write(': ping\n\n'), deps.heartbeatMs ?? 15_000);
    req.on('close', () => {
      clearInterval(beat);
      stop();
    });
  });
  return r;
}
