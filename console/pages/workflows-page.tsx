/** The learned workflows, and a HAR upload to learn another. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { when } from '../format.js';
import { hrefOf } from '../router.js';
import type { WorkflowSummary } from '../types.js';
import { ErrorBox } from '../components/error-box.js';
import { HarUpload } from '../components/har-upload.js';

export function WorkflowsPage() {
  const [workflows, setWorkflows] = useState<WorkflowSummary[] | undefined>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    api
      .workflows()
      .then((r) => setWorkflows(r.workflows))
      .catch(setError);
  }, []);

  return (
    <>
      <h1>Workflows</h1>
      <section class="card" aria-labelledby="workflows-title">
        <h2 id="workflows-title" class="visually-hidden">
          Learned workflows
        </h2>
        {error !== undefined && <ErrorBox error={error} />}
        {workflows === undefined && error === undefined && <p class="muted">Loading…</p>}
        {workflows?.length === 0 && (
          <p class="muted">
            No workflows yet. Upload a HAR file below, or <a href={hrefOf.record()}>record one</a>.
          </p>
        )}
        {workflows && workflows.length > 0 && (
          <table class="table">
            <caption class="visually-hidden">Learned workflows</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" class="num">
                  Steps
                </th>
                <th scope="col">Inputs</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {workflows.map((w) => (
                <tr key={w.id}>
                  <td>
                    <a href={hrefOf.workflow(w.id)}>{w.name}</a>
                    {w.candidate && <span class="badge badge-wait">healed version waiting</span>}
                    <div class="muted small">{w.origins.join(', ')}</div>
                  </td>
                  <td class="num">{w.steps}</td>
                  <td>{w.inputs.length ? w.inputs.map((n) => <code key={n} class="chip">{n}</code>) : <span class="muted">none</span>}</td>
                  <td>
                    <time dateTime={w.updatedAt}>{when(w.updatedAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <HarUpload />
    </>
  );
}
