/** The shapes the console reads from the v1 API; the model itself lives in core (types only). */
import type { Recording, Run, RunStep, RunMode, RunStatus } from '../core/run.js';
import type { Action, Workflow, WorkflowInput, WorkflowStep, Variable } from '../core/workflow.js';
import type { WorkflowEvent } from '../core/workflow-events.js';

export type { Action, Recording, Run, RunStep, RunMode, RunStatus, Workflow, WorkflowEvent, WorkflowInput, WorkflowStep, Variable };

/** GET /v1/workflows/:id/versions. */
export interface Versions {
  current: number;
  versions: Array<{ version: number; savedAt: string; reason: string; note?: string; steps: number; inputs: string[] }>;
  /** A healed version waiting for a person (heal policy propose, or it would lose an input). */
  candidate?: { basedOn: number; proposedAt: string; reason: string; runId?: string; verified: string; changes: string[]; lostInputs: string[] };
}

/** One row of GET /v1/workflows. */
export interface WorkflowSummary {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  origins: string[];
  /** How many steps. */
  steps: number;
  /** Input names. */
  inputs: string[];
  version: number;
  heal: 'auto' | 'propose' | 'off';
  /** A healed version waits to be promoted. */
  candidate?: boolean;
}

export interface Session {
  authRequired: boolean;
  signedIn: boolean;
}

export interface ErrorDetail {
  path: string;
  message: string;
}

/** What a 202 from POST /v1/workflows/:id/runs holds. */
export interface QueuedRun {
  id: string;
  status: 'queued';
}

export type RunFilter = { workflowId?: string; status?: RunStatus; mode?: Run['mode'] };

/** A request the recording's browser made, as the live view lists it (secret-looking query values masked). */
export interface LiveRequest {
  method: string;
  url: string;
  status: number;
}
