/** A form made from the workflow's inputs, a mode selector, and Run. */
import { useState } from 'preact/hooks';
import type { Workflow, WorkflowInput } from '../types.js';

export type FormValues = Record<string, string | boolean>;
export type RunRequest = { inputs: Record<string, unknown>; mode: 'auto' | 'http' | 'browser' };

function initialValues(inputs: WorkflowInput[]): FormValues {
  const v: FormValues = {};
  for (const i of inputs) {
    if (i.type === 'boolean') v[i.name] = !i.secret && i.default === true;
    else v[i.name] = i.secret || i.default === undefined ? '' : String(i.default);
  }
  return v;
}

/** Form values as run inputs: numbers as numbers; an empty secret or optional field is left to its default. */
export function toInputs(inputs: WorkflowInput[], values: FormValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const i of inputs) {
    const v = values[i.name];
    if (i.type === 'boolean') out[i.name] = v === true;
    else if (v === '' || v === undefined) {
      if (i.required && !i.secret) out[i.name] = '';
    } else out[i.name] = i.type === 'number' ? Number(v) : v;
  }
  return out;
}

export function RunForm({ workflow, busy, onRun }: { workflow: Workflow; busy: boolean; onRun: (req: RunRequest) => void }) {
  const [values, setValues] = useState(() => initialValues(workflow.inputs));
  const [mode, setMode] = useState<RunRequest['mode']>('auto');
  const set = (name: string, value: string | boolean) => setValues((v) => ({ ...v, [name]: value }));

  const submit = (e: Event) => {
    e.preventDefault();
    onRun({ inputs: toInputs(workflow.inputs, values), mode });
  };

  return (
    <form class="run-form" onSubmit={submit} aria-label="Run this workflow">
      {workflow.inputs.length === 0 && <p class="muted">No inputs: a run repeats the recording.</p>}
      <div class="form-grid">
        {workflow.inputs.map((i) => {
          const id = `input-${i.name}`;
          const hint = i.secret && !i.required ? 'leave empty to use the recorded value' : undefined;
          if (i.type === 'boolean') {
            return (
              <div class="field field-check" key={i.name}>
                <input id={id} type="checkbox" checked={values[i.name] === true} onChange={(e) => set(i.name, e.currentTarget.checked)} />
                <label for={id}>{i.name}</label>
              </div>
            );
          }
          return (
            <div class="field" key={i.name}>
              <label for={id}>
                {i.name}
                {i.secret && <span class="muted small"> (secret)</span>}
              </label>
              <input
                id={id}
                name={i.name}
                // Preact's types tie `role` to each input type; no role here, so one type stands for all three
                type={(i.secret ? 'password' : i.type === 'number' ? 'number' : 'text') as 'text'}
                step={i.type === 'number' ? 'any' : undefined}
                autoComplete={i.secret ? 'off' : undefined}
                required={i.required && !i.secret}
                aria-describedby={hint ? `${id}-hint` : undefined}
                value={values[i.name] as string}
                onInput={(e) => set(i.name, e.currentTarget.value)}
              />
              {hint && (
                <span id={`${id}-hint`} class="muted small">
                  {hint}
                </span>
              )}
            </div>
          );
        })}
        <div class="field field-wide">
          <label for="run-mode">Mode</label>
          <select id="run-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value as RunRequest['mode'])}>
            <option value="auto">auto — HTTP, a browser when needed</option>
            <option value="http">http — HTTP only</option>
            <option value="browser">browser — a browser only</option>
          </select>
        </div>
      </div>
      <button type="submit" class="button-primary" disabled={busy}>
        {busy ? 'Running…' : 'Run'}
      </button>
    </form>
  );
}
