/** The learned request chain: one row per step, anchored so other tables can link to it. */
import type { Workflow } from '../types.js';
import { stepAnchor } from '../workflow-facts.js';

export function StepsTable({ workflow }: { workflow: Workflow }) {
  return (
    <table class="table">
      <caption class="visually-hidden">Steps</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Method</th>
          <th scope="col">URL template</th>
          <th scope="col">Flags</th>
        </tr>
      </thead>
      <tbody>
        {workflow.steps.map((s) => (
          <tr key={s.id} id={stepAnchor(s.id)} tabIndex={-1}>
            <th scope="row">{s.id}</th>
            <td>
              <span class={`method method-${s.request.method.toLowerCase()}`}>{s.request.method}</span>
            </td>
            <td class="url">
              <code>{s.request.url}</code>
            </td>
            <td>
              {s.bootstrap && <span class="flag flag-login">logs in</span>}
              {s.stateChanging && <span class="flag flag-state">changes state</span>}
              {workflow.output.step === s.id && <span class="flag flag-output">output</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A link to a step's row in the steps table (moves focus there, for keyboard and screen readers). */
export function StepLink({ id }: { id: string }) {
  const anchor = stepAnchor(id);
  return (
    <a
      href={`#${anchor}`}
      class="step-link"
      onClick={(e) => {
        // hash routing owns location.hash: scroll and focus by hand instead
        e.preventDefault();
        const row = document.getElementById(anchor);
        row?.scrollIntoView({ block: 'center' });
        row?.focus();
      }}
    >
      {id}
    </a>
  );
}
