/**
 * Run the workflow from the console: the form, then the run's result as it comes (the POST waits
 * up to 30 s; a run still going after that is followed by its events, and polled as a back-up).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { duration } from '../format.js';
import type { Run, Workflow } from '../types.js';
import { ErrorBox } from './error-box.js';
import { RunForm, type RunRequest } from './run-form.js';
import { RunResult } from './run-result.js';

const WAIT_S = 30;
const finished = (r: Pick<Run, 'status'>) => r.status === 'succeeded' || r.status === 'failed';

function statusLine(run: Run): string {
  if (run.status === 'queued') return `Run ${run.id} is queued.`;
  if (run.status === 'running') return `Run ${run.id} is running.`;
  return `Run ${run.id} ${run.status} in ${run.mode} mode, ${duration(run.durationMs)}.`;
}

export interface RunPanelProps {
  workflow: Workflow;
  /** The live list's copy of runs (by id), fresher than the POST answer once events arrive. */
  liveRun: (id: string) => Run | undefined;
  /** Tells the page's run list about a run the POST returned. */
  onRun: (run: Run) => void;
}

export function RunPanel({ workflow, liveRun, onRun }: RunPanelProps) {
  const [run, setRun] = useState<Run | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [sent, setSent] = useState(false);

  const start = async (req: RunRequest) => {
    setBusy(true);
    setError(undefined);
    setRun(undefined);
    setSent(true);
    try {
      const answer = await api.startRun(workflow.id, { ...req, wait: WAIT_S });
      // a 202 says only id and status: the rest arrives with the run's events (mode stays unknown till then)
      const full: Run = 'workflowId' in answer ? answer : ({ ...answer, workflowId: workflow.id, steps: [], requestedMode: req.mode, createdAt: new Date().toISOString() } as unknown as Run);
      setRun(full);
      if ('workflowId' in answer) onRun(answer);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  // events are the fast path; a slow poll covers a lost event stream
  const live = run ? liveRun(run.id) : undefined;
  const shown = run && live && (finished(live) || !finished(run)) ? { ...run, ...live } : run;
  useEffect(() => {
    if (!shown || finished(shown)) return;
    const t = setTimeout(() => {
      api.run(shown.id).then(setRun, () => {});
    }, 1500);
    return () => clearTimeout(t);
  }, [shown?.id, shown?.status, run]);

  return (
    <>
      <RunForm workflow={workflow} busy={busy} onRun={start} />
      <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="run-status">
        {busy && !shown ? 'Running…' : shown ? statusLine(shown) : ''}
      </div>
      {error !== undefined && <ErrorBox error={error} title="The run could not be started" />}
      {shown && <RunResult run={shown} />}
      {!shown && sent && busy && <p class="muted">Running…</p>}
    </>
  );
}
