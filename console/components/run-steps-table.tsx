/** A run's steps: status, HTTP status, time and attempts each. */
import { duration } from '../format.js';
import type { RunStep } from '../types.js';

export function RunStepsTable({ steps, caption = 'Steps of this run' }: { steps: RunStep[]; caption?: string }) {
  if (steps.length === 0) return <p class="muted">No steps ran yet.</p>;
  return (
    <table class="table table-compact">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Status</th>
          <th scope="col" class="num">
            HTTP
          </th>
          <th scope="col" class="num">
            Time
          </th>
          <th scope="col" class="num">
            Attempts
          </th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => (
          <tr key={s.id}>
            <th scope="row">
              {s.id}
              {s.action && <div class="muted small">{s.action}</div>}
              {s.reason && <div class="small reason">{s.reason}</div>}
            </th>
            <td>
              <span class={`status status-${s.status}`}>{s.status}</span>
            </td>
            <td class="num">{s.httpStatus ?? '—'}</td>
            <td class="num">{duration(s.ms)}</td>
            <td class="num">{s.attempts}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
