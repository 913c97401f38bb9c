/**
 * A workflow's versions and self-healing: the heal policy, a healed candidate waiting for a person
 * (its changes in plain words, how it was verified, inputs it would lose; promote or discard), and
 * every version with what changed since it and a way to make it current again (roll back).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Versions, Workflow } from '../types.js';
import { ErrorBox } from './error-box.js';

const POLICIES: Array<{ value: NonNullable<Workflow['heal']>; label: string }> = [
  { value: 'propose', label: 'propose: keep a healed version for me to promote' },
  { value: 'auto', label: 'auto: promote a verified healed version' },
  { value: 'off', label: 'off: do not heal' },
];

const when = (iso: string) => new Date(iso).toLocaleString();

export function VersionsPanel({ workflow, onChange, refresh, onAction }: { workflow: Workflow; onChange: (wf: Workflow) => void; refresh: number; onAction?: () => void }) {
  const [versions, setVersions] = useState<Versions | undefined>();
  const [error, setError] = useState<unknown>();
  const [said, setSaid] = useState('');
  const [changes, setChanges] = useState<{ version: number; lines: string[] } | undefined>();

  const load = () => api.versions(workflow.id).then(setVersions, setError);
  useEffect(() => {
    void load();
  }, [workflow.id, workflow.version, refresh]);

  const act = async (what: () => Promise<Workflow | void>, done: string) => {
    setError(undefined);
    setSaid('');
    onAction?.();
    try {
      const wf = await what();
      if (wf) onChange(wf);
      setSaid(done);
      setChanges(undefined);
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const showChanges = async (version: number) => {
    if (changes?.version === version) return setChanges(undefined);
    try {
      setChanges({ version, lines: (await api.changes(workflow.id, version)).changes });
    } catch (e) {
      setError(e);
    }
  };

  const candidate = versions?.candidate;
  return (
    <div class="versions">
      <div class="field-row">
        <label for="heal-policy">When the site changes</label>
        <select id="heal-policy" value={workflow.heal ?? 'propose'} onChange={(e) => act(() => api.patchWorkflow(workflow.id, { heal: e.currentTarget.value }), `Heal policy is now ${e.currentTarget.value}.`)}>
          {POLICIES.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </select>
      </div>
      <p class="muted small" aria-live="polite">
        {said}
      </p>
      {error !== undefined && <ErrorBox error={error} />}
      {!versions && error === undefined && <p class="muted">Loading…</p>}

      {candidate && (
        <div class="candidate" role="region" aria-labelledby="candidate-title">
          <h3 id="candidate-title">A healed version is waiting</h3>
          <p>
            Learned from the browser run {candidate.runId ? <code>{candidate.runId}</code> : null} after: {candidate.reason}
          </p>
          <p class="muted small">Verified: {candidate.verified}</p>
          {candidate.lostInputs.length > 0 && (
            <p class="notice" role="alert">
              It would no longer use input{candidate.lostInputs.length > 1 ? 's' : ''} {candidate.lostInputs.join(', ')}: callers sending {candidate.lostInputs.length > 1 ? 'them' : 'it'} would be ignored. Check before promoting.
            </p>
          )}
          <ul class="changes">
            {candidate.changes.map((c, i) => (
              <li key={i}>{c}</li>
            ))}
          </ul>
          <div class="button-row">
            <button type="button" class="button-primary" onClick={() => act(() => api.promoteCandidate(workflow.id), 'The healed version is current now.')}>
              Promote it
            </button>
            <button type="button" class="button-secondary" onClick={() => act(() => api.dropCandidate(workflow.id), 'The healed version was discarded.')}>
              Discard it
            </button>
          </div>
        </div>
      )}

      {versions && (
        <table class="table versions-table">
          <caption class="visually-hidden">Versions of this workflow, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Why</th>
              <th scope="col">Saved</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.versions.map((v) => (
              <tr key={v.version} class={v.version === versions.current ? 'current' : undefined}>
                <td>
                  v{v.version}
                  {v.version === versions.current && <span class="badge">current</span>}
                </td>
                <td>
                  {v.reason}
                  {v.note && <span class="muted small"> — {v.note}</span>}
                  {changes?.version === v.version && (
                    <ul class="changes" aria-label={`Changes from v${v.version} to v${versions.current}`}>
                      {changes.lines.length ? changes.lines.map((c, i) => <li key={i}>{c}</li>) : <li>no change</li>}
                    </ul>
                  )}
                </td>
                <td class="small">{when(v.savedAt)}</td>
                <td>
                  {v.version !== versions.current && (
                    <div class="button-row">
                      <button type="button" class="button-secondary" aria-expanded={changes?.version === v.version} onClick={() => showChanges(v.version)}>
                        Changes to v{versions.current}
                      </button>
                      <button type="button" class="button-secondary" onClick={() => act(() => api.promoteVersion(workflow.id, v.version), `v${v.version} is current again (as a new version).`)}>
                        Make current
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
