/** Which step's response is the run's output (PATCH {output:{step}}). */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Workflow } from '../types.js';
import { ErrorBox } from './error-box.js';

export function OutputPicker({ workflow, onChange }: { workflow: Workflow; onChange: (wf: Workflow) => void }) {
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState('');

  const pick = async (step: string) => {
    setError(undefined);
    setSaved('');
    try {
      onChange(await api.patchWorkflow(workflow.id, { output: { step } }));
      setSaved(`Output step is now ${step}.`);
    } catch (e) {
      setError(e);
    }
  };

  return (
    <div class="field-row">
      <label for="output-step">Output step</label>
      <select id="output-step" value={workflow.output.step} onChange={(e) => pick(e.currentTarget.value)}>
        {workflow.steps.map((s) => (
          <option key={s.id} value={s.id}>
            {s.id} — {s.description}
          </option>
        ))}
      </select>
      <span class="muted small" aria-live="polite">
        {saved}
      </span>
      {error !== undefined && <ErrorBox error={error} />}
    </div>
  );
}
