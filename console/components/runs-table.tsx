/** Runs, newest first; a row opens to show its steps (and error, if any). */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { duration, when } from '../format.js';
import { hrefOf } from '../router.js';
import type { Run } from '../types.js';
import { StatusBadge } from './run-result.js';
import { RunStepsTable } from './run-steps-table.js';

export interface RunsTableProps {
  runs: Run[];
  /** Workflow id → name; when given, a Workflow column is shown. */
  names?: Map<string, string>;
  caption: string;
}

export function RunsTable({ runs, names, caption }: RunsTableProps) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const cols = names ? 7 : 6;

  return (
    <table class="table runs-table">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          {names && <th scope="col">Workflow</th>}
          <th scope="col">Status</th>
          <th scope="col">Mode</th>
          <th scope="col" class="num">
            Duration
          </th>
          <th scope="col">Worker</th>
          <th scope="col">
            <span class="visually-hidden">Details</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => {
          const isOpen = open.has(r.id);
          const detailsId = `run-details-${r.id}`;
          return (
            <Fragment key={r.id}>
              <tr data-run-id={r.id} class={`run-row run-${r.status}`}>
                <td>
                  <time dateTime={r.createdAt}>{when(r.createdAt)}</time>
                </td>
                {names && (
                  <td>
                    <a href={hrefOf.workflow(r.workflowId)}>{names.get(r.workflowId) ?? r.workflowId}</a>
                  </td>
                )}
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>{r.mode ?? '—'}</td>
                <td class="num">{r.status === 'succeeded' || r.status === 'failed' ? duration(r.durationMs) : '…'}</td>
                <td class="small">{r.worker ?? '—'}</td>
                <td>
                  <button type="button" class="button-quiet small" aria-expanded={isOpen} aria-controls={detailsId} onClick={() => toggle(r.id)}>
                    {isOpen ? 'Hide steps' : 'Steps'}
                    <span class="visually-hidden"> of run {r.id}</span>
                  </button>
                </td>
              </tr>
              {isOpen && (
                <tr id={detailsId} class="run-details">
                  <td colSpan={cols}>
                    <p class="small muted">
                      Run <code>{r.id}</code>
                      {r.requestedMode ? ` · asked ${r.requestedMode}` : ''}
                      {r.fallback ? ` · fell back: ${r.fallback.reason}` : ''}
                    </p>
                    {r.error && (
                      <p class="error-box">
                        <code>{r.error.code}</code>: {r.error.message}
                      </p>
                    )}
                    <RunStepsTable steps={r.steps ?? []} caption={`Steps of run ${r.id}`} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
