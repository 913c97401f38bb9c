/** One workflow: what was learned, how to call it, a run form, and its runs as they happen. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useLiveRuns } from '../live-runs.js';
import { hrefOf } from '../router.js';
import type { Workflow, WorkflowEvent } from '../types.js';
import { CallLinks } from '../components/call-links.js';
import { ErrorBox } from '../components/error-box.js';
import { InputsTable } from '../components/inputs-table.js';
import { OutputPicker } from '../components/output-picker.js';
import { RunPanel } from '../components/run-panel.js';
import { RunsTable } from '../components/runs-table.js';
import { StepsTable } from '../components/steps-table.js';
import { ValueSources } from '../components/value-sources.js';
import { WorkflowTitle } from '../components/workflow-title.js';
import { LiveBadge } from '../components/live-badge.js';
import { VersionsPanel } from '../components/versions-panel.js';

const EVENT_WORDS: Record<WorkflowEvent['event'], string> = {
  falling_back: 'The site changed: runs fall back to the browser',
  healed: 'Healed: a verified version is current',
  candidate_proposed: 'A healed version is waiting for you',
  heal_rejected: 'Healing did not work',
};

export function WorkflowPage({ id }: { id: string }) {
  const [workflow, setWorkflow] = useState<Workflow | undefined>();
  const [error, setError] = useState<unknown>();
  // a workflow event (falling back, healed, a candidate) reloads the workflow and its versions
  const [healEvents, setHealEvents] = useState(0);
  const [lastEvent, setLastEvent] = useState<WorkflowEvent | undefined>();
  const onWorkflowEvent = (e: WorkflowEvent) => {
    setLastEvent(e);
    setHealEvents((n) => n + 1);
    if (e.event === 'healed') api.workflow(id).then(setWorkflow, () => {});
  };
  const history = useLiveRuns(() => api.workflowRuns(id), { workflowId: id }, [id], onWorkflowEvent);

  useEffect(() => {
    setWorkflow(undefined);
    setError(undefined);
    api.workflow(id).then(setWorkflow, setError);
  }, [id]);

  if (error !== undefined)
    return (
      <>
        <p>
          <a href={hrefOf.workflows()}>← Workflows</a>
        </p>
        <ErrorBox error={error} />
      </>
    );
  if (!workflow) return <p class="muted">Loading…</p>;

  return (
    <>
      <p class="breadcrumb">
        <a href={hrefOf.workflows()}>← Workflows</a>
      </p>
      <WorkflowTitle workflow={workflow} onChange={setWorkflow} />
      <p class="muted small">
        {workflow.origins.join(', ')} · {workflow.steps.length} steps kept of {workflow.stats.entries} recorded requests
      </p>

      <div class="columns">
        <section class="card" aria-labelledby="run-title">
          <h2 id="run-title">Run it</h2>
          <RunPanel workflow={workflow} liveRun={(runId) => history.runs?.find((r) => r.id === runId)} onRun={history.put} />
        </section>
        <section class="card" aria-labelledby="call-title">
          <h2 id="call-title">Call it from elsewhere</h2>
          <CallLinks workflow={workflow} />
          <h3>Output</h3>
          <OutputPicker workflow={workflow} onChange={setWorkflow} />
        </section>
      </div>

      <section class="card" aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        <StepsTable workflow={workflow} />
      </section>

      <section class="card" aria-labelledby="sources-title">
        <h2 id="sources-title">Where values come from</h2>
        <ValueSources workflow={workflow} />
      </section>

      <section class="card" aria-labelledby="inputs-title">
        <h2 id="inputs-title">Inputs</h2>
        <InputsTable workflow={workflow} />
      </section>

      <section class="card" aria-labelledby="versions-title">
        <h2 id="versions-title">Versions and self-healing</h2>
        {lastEvent && (
          <p class="notice" role="status">
            {EVENT_WORDS[lastEvent.event]} (v{lastEvent.version}){lastEvent.event === 'candidate_proposed' ? '' : `: ${lastEvent.reason}`}
          </p>
        )}
        <VersionsPanel workflow={workflow} onChange={setWorkflow} refresh={healEvents} onAction={() => setLastEvent(undefined)} />
      </section>

      {workflow.notes.length > 0 && (
        <section class="card" aria-labelledby="notes-title">
          <h2 id="notes-title">Learner's notes</h2>
          <ul class="notes">
            {workflow.notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        </section>
      )}

      <section class="card" aria-labelledby="history-title">
        <h2 id="history-title">
          Runs of this workflow <LiveBadge state={history.live} />
        </h2>
        {history.error !== undefined && <ErrorBox error={history.error} />}
        {history.runs?.length === 0 && <p class="muted">No runs yet.</p>}
        {history.runs && history.runs.length > 0 && <RunsTable runs={history.runs} caption="Runs of this workflow" />}
      </section>
    </>
  );
}
