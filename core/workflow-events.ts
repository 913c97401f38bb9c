/**
 * What happens to a workflow as its site changes, published beside the run events (GET
 * /v1/runs/events, `event: workflow`): it starts falling back to the browser (the first drift
 * fallback of a version), a healed version is promoted, a candidate waits for a person, a heal
 * is rejected (with why).
 */
export interface WorkflowEvent {
  kind: 'workflow';
  event: 'falling_back' | 'healed' | 'candidate_proposed' | 'heal_rejected';
  workflowId: string;
  /** The version it is about: the one falling back, or the one a heal made current. */
  version: number;
  /** The run whose browser fallback showed the drift. */
  runId?: string;
  /** The step that drifted. */
  step?: string;
  reason: string;
  /** In plain words, for healed and candidate_proposed. */
  changes?: string[];
  at: string;
}

export function isWorkflowEvent(x: unknown): x is WorkflowEvent {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'workflow' && typeof (x as { workflowId?: unknown }).workflowId === 'string';
}
