/** The workflow's inputs with their defaults; a secret's value is never shown. */
import { SECRET_MASK } from '../format.js';
import type { Workflow } from '../types.js';

export function InputsTable({ workflow }: { workflow: Workflow }) {
  if (workflow.inputs.length === 0) return <p class="muted">This workflow takes no inputs.</p>;
  return (
    <table class="table">
      <caption class="visually-hidden">Inputs</caption>
      <thead>
        <tr>
          <th scope="col">Input</th>
          <th scope="col">Type</th>
          <th scope="col">Default</th>
          <th scope="col">Where it was recorded</th>
        </tr>
      </thead>
      <tbody>
        {workflow.inputs.map((i) => (
          <tr key={i.name}>
            <th scope="row">
              <code>{i.name}</code>
              {i.required && <span class="flag">required</span>}
              {i.secret && <span class="flag">secret</span>}
            </th>
            <td>{i.type}</td>
            <td>{i.secret ? <span aria-label="hidden secret">{SECRET_MASK}</span> : i.default === undefined ? <span class="muted">none</span> : <code>{String(i.default)}</code>}</td>
            <td class="muted">{i.description}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
