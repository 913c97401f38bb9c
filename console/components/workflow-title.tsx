/** The workflow's name, renamed inline (PATCH), and delete with a confirmation. */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { go, hrefOf } from '../router.js';
import type { Workflow } from '../types.js';
import { ErrorBox } from './error-box.js';

export function WorkflowTitle({ workflow, onChange }: { workflow: Workflow; onChange: (wf: Workflow) => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(workflow.name);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>();

  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      onChange(await api.patchWorkflow(workflow.id, { name: name.trim() }));
      setEditing(false);
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    setError(undefined);
    try {
      await api.deleteWorkflow(workflow.id);
      go(hrefOf.workflows());
    } catch (err) {
      setError(err);
      setConfirming(false);
    }
  };

  return (
    <div class="title-bar">
      {editing ? (
        <form class="rename-form" onSubmit={save}>
          <label for="workflow-name">Workflow name</label>
          <input id="workflow-name" value={name} required maxLength={200} onInput={(e) => setName(e.currentTarget.value)} autoFocus />
          <button type="submit" class="button-primary">
            Save name
          </button>
          <button type="button" class="button-quiet" onClick={() => (setEditing(false), setName(workflow.name))}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <h1>{workflow.name}</h1>
          <button type="button" class="button-quiet" onClick={() => (setName(workflow.name), setEditing(true))}>
            Rename
          </button>
        </>
      )}
      <span class="spacer" />
      {confirming ? (
        <div class="confirm" role="group" aria-label="Confirm delete">
          <span>Delete this workflow, its sessions and runs?</span>
          <button type="button" class="button-danger" onClick={remove}>
            Yes, delete
          </button>
          <button type="button" class="button-quiet" onClick={() => setConfirming(false)} autoFocus>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" class="button-danger-quiet" onClick={() => setConfirming(true)}>
          Delete…
        </button>
      )}
      {error !== undefined && <ErrorBox error={error} />}
    </div>
  );
}
