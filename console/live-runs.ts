/** A list of runs loaded once, then kept current by the run events (new runs on top, finished ones updated). */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { useRunEvents, upsertRun, type LiveState } from './run-events.js';
import type { Run, RunFilter, WorkflowEvent } from './types.js';

export interface LiveRuns {
  runs: Run[] | undefined;
  error: unknown;
  live: LiveState;
  /** Puts a run the page learned of itself (a POST answer) into the list. */
  put: (run: Run) => void;
  /** Adds older runs (a next page) below the ones listed; those listed already are kept as they are. */
  append: (older: Run[]) => void;
}

const matches = (f: RunFilter, r: Run) => (!f.workflowId || r.workflowId === f.workflowId) && (!f.status || r.status === f.status) && (!f.mode || r.mode === f.mode);

export function useLiveRuns(load: () => Promise<{ runs: Run[] }>, filter: RunFilter, deps: unknown[], onWorkflow?: (e: WorkflowEvent) => void): LiveRuns {
  const [runs, setRuns] = useState<Run[] | undefined>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let current = true;
    setRuns(undefined);
    setError(undefined);
    load()
      .then((r) => current && setRuns((seen) => (seen ?? []).reduce((list, run) => upsertRun(list, run), r.runs)))
      .catch((e) => current && setError(e));
    return () => {
      current = false;
    };
  }, deps);

  const put = useCallback(
    (run: Run) =>
      setRuns((list) => {
        const i = (list ?? []).findIndex((r) => r.id === run.id);
        // a run that no longer matches the filter (it finished as another status) leaves the list
        if (!matches(filter, run)) return i === -1 ? list : list!.filter((r) => r.id !== run.id);
        return upsertRun(list ?? [], run);
      }),
    [filter.workflowId, filter.status, filter.mode],
  );

  const append = useCallback((older: Run[]) => setRuns((list) => [...(list ?? []), ...older.filter((r) => !(list ?? []).some((x) => x.id === r.id))]), []);

  const live = useRunEvents(put, filter.workflowId, onWorkflow);
  return { runs, error, live, put, append };
}
