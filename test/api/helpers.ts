import { expect } from 'chai';
import type { Run, Workflow } from '../../core/index.js';
import { fixtureFlow, type FixtureSite } from '../fixtures/site/index.js';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

/** One JSON call to the API; the body is read whatever the status. */
export async function api<T = any>(base: string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as T };
}

/** Records the fixture flow the way users do (a scripted recording through the API) and returns its workflow. */
export async function recordFixtureWorkflow(base: string, site: Pick<FixtureSite, 'url'>, name = 'fixture flow'): Promise<Workflow> {
  const start = await api(base, '/v1/recordings', { body: { startUrl: `${site.url}/login`, actions: fixtureFlow(site).slice(1), name } });
  expect(start.status, start.text).to.equal(201);
  const stop = await api<{ workflow: Workflow }>(base, `/v1/recordings/${start.json.id}/stop`, { method: 'POST' });
  expect(stop.status, stop.text).to.equal(201);
  return stop.json.workflow;
}

/** Polls GET /v1/runs/:id until `done(run)` holds (default: finished), for at most `timeoutMs`. */
export async function pollRun(base: string, id: string, done: (r: Run) => boolean = isFinished, timeoutMs = 60_000, everyMs = 50): Promise<Run> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const a = await api<Run>(base, `/v1/runs/${id}`);
    expect(a.status, a.text).to.equal(200);
    if (done(a.json)) return a.json;
    if (Date.now() > until) throw new Error(`run ${id} still ${a.json.status} after ${timeoutMs} ms: ${a.text.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** GET /v1/workflows/:id/versions, as the heal tests read it. */
export interface Versions {
  current: number;
  versions: Array<{ version: number; reason: string; note?: string }>;
  candidate?: { basedOn: number; changes: string[]; verified: string; lostInputs: string[] };
}

export const isFinished = (r: Pick<Run, 'status'>): boolean => r.status === 'succeeded' || r.status === 'failed';
