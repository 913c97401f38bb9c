/**
 * Live runs: GET /v1/runs/events (Server-Sent Events, `event: run`, data a Run; `event: workflow`,
 * data a WorkflowEvent), same origin so
 * the session cookie goes along. The browser reconnects on its own after a dropped connection.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Run, WorkflowEvent } from './types.js';

const RANK: Record<Run['status'], number> = { queued: 0, running: 1, succeeded: 2, failed: 2 };

export type LiveState = 'connecting' | 'live' | 'offline';

/** Follows the run events (and, with `onWorkflow`, the workflow events: falling back, healed, …). */
export function useRunEvents(onRun: (run: Run) => void, workflowId?: string, onWorkflow?: (e: WorkflowEvent) => void): LiveState {
  const handler = useRef(onRun);
  handler.current = onRun;
  const workflowHandler = useRef(onWorkflow);
  workflowHandler.current = onWorkflow;
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    const url = workflowId ? `/v1/runs/events?workflowId=${encodeURIComponent(workflowId)}` : '/v1/runs/events';
    const source = new EventSource(url);
    source.onopen = () => setState('live');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    source.addEventListener('run', (e) => {
      try {
        handler.current(JSON.parse((e as MessageEvent<string>).data) as Run);
      } catch {
        // a malformed event is dropped; the next one carries the whole run again
      }
    });
    source.addEventListener('workflow', (e) => {
      try {
        workflowHandler.current?.(JSON.parse((e as MessageEvent<string>).data) as WorkflowEvent);
      } catch {
        // dropped like a malformed run event
      }
    });
    return () => source.close();
  }, [workflowId]);
  return state;
}

/** Puts a run into a newest-first list: replaces the one of the same id, or adds it on top. */
export function upsertRun(list: Run[], run: Run): Run[] {
  const i = list.findIndex((r) => r.id === run.id);
  if (i === -1) return [run, ...list];
  // an event may carry less than a full run (a queued run has no steps yet): keep what we know
  const old = list[i]!;
  // events from several workers may arrive out of order: a finished run never goes back
  if (RANK[run.status] < RANK[old.status]) return list;
  const next = list.slice();
  next[i] = { ...old, ...run };
  return next;
}
