/** "Where values come from": each variable's source and the steps that use it. */
import { Fragment } from 'preact';
import type { Workflow } from '../types.js';
import { sourceOf, usesByVariable } from '../workflow-facts.js';
import { StepLink } from './steps-table.js';

export function ValueSources({ workflow }: { workflow: Workflow }) {
  const uses = usesByVariable(workflow);
  if (workflow.variables.length === 0) return <p class="muted">Every request is sent as recorded: no value changes between runs.</p>;
  return (
    <table class="table">
      <caption class="visually-hidden">Where values come from</caption>
      <thead>
        <tr>
          <th scope="col">Value</th>
          <th scope="col">Comes from</th>
          <th scope="col">Used by</th>
        </tr>
      </thead>
      <tbody>
        {workflow.variables.map((v) => {
          const src = sourceOf(v);
          const usedBy = uses.get(v.name) ?? [];
          return (
            <tr key={v.name}>
              <th scope="row">
                <code>{v.name}</code>
                {v.secret && <span class="flag">secret</span>}
              </th>
              <td>
                {src.kind === 'extract' && (
                  <>
                    response of <StepLink id={src.step} />: {src.rule}
                  </>
                )}
                {src.kind === 'input' && (
                  <>
                    input <code>{src.input}</code>
                  </>
                )}
                {src.kind === 'generated' && src.text}
                {src.kind === 'constant' && (
                  <>
                    constant <code>{src.value}</code>
                  </>
                )}
                <div class="muted small">{v.description}</div>
              </td>
              <td>
                {usedBy.length === 0 ? (
                  <span class="muted">—</span>
                ) : (
                  usedBy.map((id, i) => (
                    <Fragment key={id}>
                      {i > 0 && ', '}
                      <StepLink id={id} />
                    </Fragment>
                  ))
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
