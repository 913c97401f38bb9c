/** One run, in full: status, mode, duration, fallback, error, steps and output. */
import { duration, outputText } from '../format.js';
import type { Run } from '../types.js';
import { RunStepsTable } from './run-steps-table.js';

export function StatusBadge({ status }: { status: Run['status'] }) {
  return <span class={`status status-${status}`}>{status}</span>;
}

export function RunResult({ run }: { run: Run }) {
  const finished = run.status === 'succeeded' || run.status === 'failed';
  return (
    <article class={`run-result run-${run.status}`} aria-labelledby="run-result-title" data-testid="run-result">
      <h3 id="run-result-title">
        Run <code>{run.id}</code> <StatusBadge status={run.status} />
      </h3>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>{run.status}</dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>{run.mode ?? '—'}{run.requestedMode && run.requestedMode !== run.mode ? ` (asked ${run.requestedMode})` : ''}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{finished ? duration(run.durationMs) : '…'}</dd>
        </div>
        {run.worker && (
          <div>
            <dt>Worker</dt>
            <dd>{run.worker}</dd>
          </div>
        )}
      </dl>
      {run.fallback && (
        <p class="notice">
          Fell back to a browser ({duration(run.fallback.ms)}): {run.fallback.reason}
        </p>
      )}
      {run.error && (
        <div class="error-box">
          <p>
            <code>{run.error.code}</code>: {run.error.message}
          </p>
          {run.error.details && run.error.details.length > 0 && (
            <ul class="error-details">
              {run.error.details.map((d, i) => (
                <li key={i}>
                  <code>{d.path}</code> — {d.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <h4>Steps</h4>
      <RunStepsTable steps={run.steps ?? []} />
      {run.output && (
        <>
          <h4>
            Output <span class="muted small">HTTP {run.output.status} · {run.output.contentType || 'no type'}</span>
          </h4>
          <pre class="output" tabIndex={0} aria-label="Run output">
            {outputText(run.output.body)}
          </pre>
        </>
      )}
    </article>
  );
}
