/**
 * The recording's action log as it grows: what was done, where, with what value (secrets as •••).
 * Each typed value can be named as a workflow input, or made secret (a `mark` to the server).
 */
import { useEffect, useState } from 'preact/hooks';
import { SECRET_MASK } from '../format.js';
import type { ViewerMessage } from '../live-recording.js';
import { useStickToBottom } from '../stick-to-bottom.js';
import type { Action } from '../types.js';

const REDACTED = '[REDACTED]';

interface Props {
  actions: Action[];
  send: (msg: ViewerMessage) => void;
  /** False once the recording is no longer live (marks would go nowhere). */
  editable: boolean;
}

export function ActionLog({ actions, send, editable }: Props) {
  const box = useStickToBottom<HTMLDivElement>(actions.length);
  if (actions.length === 0) return <p class="muted">Nothing yet: what you do in the picture shows up here.</p>;
  return (
    <div class="log-scroll" ref={box} tabIndex={0} role="region" aria-label="Action log, oldest first">
      <ol class="action-log">
        {actions.map((a, i) => (
          <li key={i} class={`action action-${a.type}`}>
            <p class="action-what" id={`action-${i}-what`}>
              <span class="action-type">{a.type}</span> <ActionTarget action={a} /> <ActionValue action={a} />
            </p>
            {a.type === 'fill' && <MarkForm index={i} action={a} send={send} disabled={!editable} />}
          </li>
        ))}
      </ol>
    </div>
  );
}

function ActionTarget({ action: a }: { action: Action }) {
  if (a.type === 'goto') return <code class="action-url">{a.url}</code>;
  if (a.selector) return <code class="action-selector">{a.selector}</code>;
  if (a.url) return <code class="action-url">{a.url}</code>;
  return null;
}

function ActionValue({ action: a }: { action: Action }) {
  if (a.type === 'press' && a.key) return <kbd class="action-value">{a.key}</kbd>;
  if (a.value === undefined) return null;
  if (a.secret || a.value === REDACTED)
    return (
      <span class="action-value secret" aria-label="secret value, hidden">
        {SECRET_MASK}
      </span>
    );
  return <span class="action-value">“{a.value}”</span>;
}

/** Names the input a typed value feeds (empty: none) and whether it is secret. */
function MarkForm({ index, action, send, disabled }: { index: number; action: Action; send: Props['send']; disabled: boolean }) {
  const [draft, setDraft] = useState(action.input ?? '');
  // the server's answer (marked) or a later edit of the same field wins over the draft
  useEffect(() => setDraft(action.input ?? ''), [action.input]);

  const commit = () => {
    const input = draft.trim() || null;
    if (input !== (action.input ?? null)) send({ type: 'mark', index, input });
  };
  const id = `action-${index}`;
  return (
    <form
      class="mark-form"
      aria-label={`Mark action ${index + 1}`}
      onSubmit={(e) => {
        e.preventDefault();
        commit();
      }}
    >
      <label for={`${id}-input`}>Input name</label>
      <input
        id={`${id}-input`}
        type="text"
        value={draft}
        disabled={disabled}
        spellcheck={false}
        autoComplete="off"
        aria-describedby={`${id}-what`}
        onInput={(e) => setDraft(e.currentTarget.value)}
        onChange={commit}
      />
      <label class="check">
        <input type="checkbox" checked={action.secret === true} disabled={disabled} aria-describedby={`${id}-what`} onChange={(e) => send({ type: 'mark', index, secret: e.currentTarget.checked })} />
        Secret
      </label>
    </form>
  );
}
