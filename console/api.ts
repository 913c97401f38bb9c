/**
 * The console's one way to the server: the v1 API, same origin, authenticated by the session
 * cookie. Every call sends X-Requested-By (the server's check against cross-site requests); a 401
 * sends the person to the sign-in page.
 */
import type { ErrorDetail, QueuedRun, Recording, Run, RunFilter, Session, Versions, Workflow, WorkflowSummary } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** What to do on any 401 (the app shell goes to #/sign-in). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

interface CallInit {
  method?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** A 401 from this call is an answer (sign-in with a wrong key), not a lost session. */
  quiet401?: boolean;
}

async function call<T>(path: string, init: CallInit = {}): Promise<T> {
  const headers: Record<string, string> = { 'X-Requested-By': 'replayfarm-console', accept: 'application/json', ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  let res: Response;
  try {
    res = await fetch(path, { method: init.method ?? 'GET', credentials: 'same-origin', headers, body });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached.');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | undefined)?.error;
    if (res.status === 401 && !init.quiet401) onUnauthorized();
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `The server answered ${res.status} ${res.statusText}`.trim(), err?.details ?? []);
  }
  return data as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const wf = (id: string) => `/v1/workflows/${encodeURIComponent(id)}`;
const rec = (id: string) => `/v1/recordings/${encodeURIComponent(id)}`;

export const api = {
  session: () => call<Session>('/v1/session'),
  signIn: (key: string) => call<void>('/v1/session', { method: 'POST', json: { key }, quiet401: true }),
  signOut: () => call<void>('/v1/session', { method: 'DELETE', quiet401: true }),

  workflows: (limit = 200) => call<{ workflows: WorkflowSummary[] }>(`/v1/workflows${query({ limit })}`),
  workflow: (id: string) => call<Workflow>(wf(id)),
  patchWorkflow: (id: string, patch: Record<string, unknown>) => call<Workflow>(wf(id), { method: 'PATCH', json: patch }),
  deleteWorkflow: (id: string) => call<void>(wf(id), { method: 'DELETE' }),
  openapiUrl: (id: string) => `${wf(id)}/openapi.json`,
  versions: (id: string) => call<Versions>(`${wf(id)}/versions`),
  changes: (id: string, from: number, to?: number) => call<{ from: number; to: number; changes: string[] }>(`${wf(id)}/versions/${from}/changes${query({ to })}`),
  /** Makes an older version current again (a new version, a copy of it). */
  promoteVersion: (id: string, version: number) => call<Workflow>(`${wf(id)}/versions/${version}/promote`, { method: 'POST' }),
  promoteCandidate: (id: string) => call<Workflow>(`${wf(id)}/candidate/promote`, { method: 'POST' }),
  dropCandidate: (id: string) => call<void>(`${wf(id)}/candidate`, { method: 'DELETE' }),

  runs: (filter: RunFilter & { limit?: number; offset?: number } = {}) => call<{ runs: Run[] }>(`/v1/runs${query({ ...filter })}`),
  workflowRuns: (id: string, limit = 50) => call<{ runs: Run[] }>(`${wf(id)}/runs${query({ limit })}`),
  run: (id: string) => call<Run>(`/v1/runs/${encodeURIComponent(id)}`),
  startRun: (id: string, body: { inputs: Record<string, unknown>; mode: string; wait: number }) => call<Run | QueuedRun>(`${wf(id)}/runs`, { method: 'POST', json: body }),

  /** Opens a recording in one of the server's browsers; the live view (#/record/<id>) shows and drives it. */
  startRecording: (body: { startUrl: string; name?: string }) => call<Recording>('/v1/recordings', { method: 'POST', json: body }),
  recording: (id: string) => call<Recording>(rec(id)),
  /** Closes it and learns its workflow (422 learn_failed when nothing could be learned). */
  stopRecording: (id: string) => call<{ recording: Recording; workflow: Workflow }>(`${rec(id)}/stop`, { method: 'POST', json: {} }),

  /** Uploads a HAR file as it is; a .gz file goes with Content-Encoding: gzip. */
  uploadHar: (file: File, name: string) => {
    const gz = /\.gz$/i.test(file.name) || file.type === 'application/gzip';
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (gz) headers['content-encoding'] = 'gzip';
    return call<{ workflow: Workflow }>(`/v1/hars${query({ name })}`, { method: 'POST', body: file, headers });
  },
};

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

/** Plain words for any error a call threw. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
