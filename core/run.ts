/** The Run and Recording models (API contract v1, ../shared/DESIGN.md). */
import type { ErrorDetail } from './errors.js';
import type { Action } from './workflow.js';

export type RunMode = 'auto' | 'http' | 'browser';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface RunStep {
  id: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'reused';
  ms: number;
  attempts: number;
  httpStatus?: number;
  /** Why the step failed, in plain words (`s3 (POST /x) answered 401`); kept when a repair then made it succeed. */
  reason?: string;
  /** Browser-mode steps (`a1`, `a2`, …): the action run, e.g. `click role=button[name="Save"]`; a typed value shows as `[input name]`, never itself. */
  action?: string;
}

export interface RunOutput {
  status: number;
  contentType: string;
  body: unknown;
}

export interface Run {
  id: string;
  workflowId: string;
  /** The version of the workflow the run ran (set when it runs). */
  version?: number;
  status: RunStatus;
  /** The mode the run ended in. */
  mode: 'http' | 'browser' | 'hybrid';
  requestedMode: RunMode;
  session: string;
  /** Inputs as given, secrets removed. */
  inputs?: Record<string, unknown>;
  output?: RunOutput;
  steps: RunStep[];
  /** What the run fell back to and why; `browser` when a browser was used (a browser login or the whole run), absent when HTTP sufficed (a re-login over HTTP). */
  fallback?: { reason: string; ms: number; browser?: boolean };
  /**
   * What the site does differently from the recording that did not stop the run, e.g. its output
   * answered without fields the recorded answer had, after the site accepted a state-changing step
   * (the run stands on its outcome check; a caller reading those fields must know).
   */
  warnings?: string[];
  /** details: the evidence (e.g. for outcome_mismatch, what was expected and what came back). */
  error?: { code: string; message: string; details?: ErrorDetail[] };
  durationMs?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Worker that executed the run (host:pid). */
  worker?: string;
  /** Times the run was started (more than 1 after a worker died mid-run). */
  attempts?: number;
  webhook?: { url: string; status?: number; error?: string };
}

export type RecordingStatus = 'recording' | 'stopped' | 'failed';

export interface Recording {
  id: string;
  name: string;
  status: RecordingStatus;
  source: 'har' | 'browser';
  headed?: boolean;
  startUrl?: string;
  /** Id of the API key that started it (a hash prefix, never the key): only its holder may view it live. */
  owner?: string;
  createdAt: string;
  stoppedAt?: string;
  stopReason?: 'user' | 'idle_timeout' | 'max_duration' | 'window_closed' | 'shutdown' | 'error';
  /** HAR creator, e.g. `Firefox 111.0.1`. */
  creator?: string;
  entryCount: number;
  /** The action log (typed secrets redacted). */
  actions: Action[];
  workflowId?: string;
  /** What ingest normalised (exporter quirks) before validation. */
  warnings?: string[];
  error?: { code: string; message: string };
}
