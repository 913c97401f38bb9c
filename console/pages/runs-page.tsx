/** Every workflow's runs, newest first, filtered by status and mode, updating live. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useLiveRuns } from '../live-runs.js';
import type { RunFilter } from '../types.js';
import { ErrorBox } from '../components/error-box.js';
import { LiveBadge } from '../components/live-badge.js';
import { RunsTable } from '../components/runs-table.js';

const PAGE = 100;
const STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
const MODES = ['http', 'browser', 'hybrid'] as const;

export function RunsPage() {
  const [status, setStatus] = useState<RunFilter['status']>();
  const [mode, setMode] = useState<RunFilter['mode']>();
  const [names, setNames] = useState(new Map<string, string>());
  const filter = useMemo(() => ({ status, mode }), [status, mode]);
  const [older, setOlder] = useState<{ busy: boolean; done: boolean; error?: unknown }>({ busy: false, done: false });
  const list = useLiveRuns(
    () =>
      api.runs({ ...filter, limit: PAGE }).then((r) => {
        setOlder({ busy: false, done: r.runs.length < PAGE });
        return r;
      }),
    filter,
    [status, mode],
  );
  // the next page: offset by what is listed (runs that arrived live since push older ones down; an overlap is dropped)
  const showOlder = async () => {
    setOlder({ busy: true, done: false });
    try {
      const r = await api.runs({ ...filter, limit: PAGE, offset: list.runs?.length ?? 0 });
      list.append(r.runs);
      setOlder({ busy: false, done: r.runs.length < PAGE });
    } catch (e) {
      setOlder({ busy: false, done: false, error: e });
    }
  };

  useEffect(() => {
    api.workflows().then((r) => setNames(new Map(r.workflows.map((w) => [w.id, w.name]))), () => {});
  }, []);
  // a run of a workflow learned after the page loaded: fetch the names again
  const unknown = list.runs?.some((r) => !names.has(r.workflowId)) ?? false;
  useEffect(() => {
    if (unknown) api.workflows().then((r) => setNames(new Map(r.workflows.map((w) => [w.id, w.name]))), () => {});
  }, [unknown]);

  return (
    <>
      <h1>
        Runs <LiveBadge state={list.live} />
      </h1>
      <form class="filters card" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" value={status ?? ''} onChange={(e) => setStatus((e.currentTarget.value || undefined) as RunFilter['status'])}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-mode">Mode</label>
          <select id="filter-mode" value={mode ?? ''} onChange={(e) => setMode((e.currentTarget.value || undefined) as RunFilter['mode'])}>
            <option value="">any</option>
            {MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </div>
      </form>
      <section class="card" aria-label="Run history">
        {list.error !== undefined && <ErrorBox error={list.error} />}
        {list.runs === undefined && list.error === undefined && <p class="muted">Loading…</p>}
        {list.runs?.length === 0 && <p class="muted">No runs{status || mode ? ' match these filters' : ' yet'}.</p>}
        {list.runs && list.runs.length > 0 && <RunsTable runs={list.runs} names={names} caption="Runs across all workflows" />}
        {older.error !== undefined && <ErrorBox error={older.error} />}
        {list.runs && list.runs.length > 0 && (
          <p class="muted small" aria-live="polite">
            {list.runs.length} run{list.runs.length === 1 ? '' : 's'} shown{older.done ? ' (all)' : ''}.{' '}
            {!older.done && (
              <button type="button" class="button-secondary" disabled={older.busy} onClick={showOlder}>
                {older.busy ? 'Loading…' : `Show ${PAGE} older runs`}
              </button>
            )}
          </p>
        )}
      </section>
    </>
  );
}
