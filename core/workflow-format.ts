import { WORKFLOW_SCHEMA_VERSION, type HeaderTemplate, type Workflow, type WorkflowStep } from './workflow.js';

/**
 * Headers every step sends alike (User-Agent, sec-ch-ua, Accept-Language, …) are stored once in
 * `workflow.headers` (schema version 2). A step's full header list is its own headers and the
 * common ones merged by name (code-unit order, the order HAR recorders such as Playwright list
 * them in). A header is only made common when that merge gives back every step's recorded list
 * exactly, so a replay sends the same headers in the same order as before.
 */

/** The headers a step sends: its own and the workflow's common ones, merged by name. */
export function stepHeaders(common: readonly HeaderTemplate[] | undefined, own: readonly HeaderTemplate[]): HeaderTemplate[] {
  if (!common || common.length === 0) return own as HeaderTemplate[];
  const out: HeaderTemplate[] = [];
  let i = 0;
  let j = 0;
  while (i < common.length && j < own.length) out.push(common[i]!.name < own[j]!.name ? common[i++]! : own[j++]!);
  while (i < common.length) out.push(common[i++]!);
  while (j < own.length) out.push(own[j++]!);
  return out;
}

/**
 * The steps' headers split into common ones and each step's own. A candidate is a header (same
 * name and value) that every step sends exactly once; candidates are taken in the first step's
 * order, each kept only if the merge still rebuilds every step's list exactly.
 */
export function hoistCommonHeaders(steps: readonly WorkflowStep[]): { common: HeaderTemplate[]; own: HeaderTemplate[][] } {
  const lists = steps.map((s) => s.request.headers);
  if (lists.length < 2) return { common: [], own: lists.map((l) => [...l]) };
  const once = (list: readonly HeaderTemplate[], h: HeaderTemplate) => list.filter((x) => x.name.toLowerCase() === h.name.toLowerCase()).length === 1 && list.some((x) => x.name === h.name && x.value === h.value);
  const candidates = lists[0]!.filter((h) => lists.every((l) => once(l, h)));
  let common: HeaderTemplate[] = [];
  for (const c of candidates) {
    const trial = [...common, c].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (lists.every((l) => sameList(stepHeaders(trial, ownOf(l, trial)), l))) common = trial;
  }
  return { common: common.map((h) => ({ ...h })), own: lists.map((l) => ownOf(l, common)) };
}

function ownOf(list: readonly HeaderTemplate[], common: readonly HeaderTemplate[]): HeaderTemplate[] {
  const names = new Set(common.map((h) => h.name));
  return list.filter((h) => !names.has(h.name)).map((h) => ({ ...h }));
}

function sameList(a: readonly HeaderTemplate[], b: readonly HeaderTemplate[]): boolean {
  return a.length === b.length && a.every((h, i) => h.name === b[i]!.name && h.value === b[i]!.value);
}

/** Moves the common headers of a workflow's steps into `workflow.headers` (a new object; the steps are copied). */
export function withCommonHeaders<T extends Workflow>(wf: T): T {
  const all = wf.steps.map((s) => ({ ...s, request: { ...s.request, headers: stepHeaders(wf.headers, s.request.headers) } }));
  const { common, own } = hoistCommonHeaders(all);
  const steps = all.map((s, i) => ({ ...s, request: { ...s.request, headers: own[i]! } }));
  // Same key order as before, the common headers just above the steps that share them.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wf)) {
    if (k === 'headers') continue;
    if (k === 'steps' && common.length) out.headers = common;
    out[k] = k === 'steps' ? steps : v;
  }
  return out as T;
}

/**
 * A stored workflow in the current shape. Applied where stored workflows are read and before they
 * are saved, so workflows written by an older version keep working. Returns the same object when
 * it is current (or not a workflow at all: the caller's checks report that).
 *
 * 1 → 2: headers every step sends alike move to `workflow.headers` (requests stay byte for byte the same).
 */
export function migrateWorkflow<T extends Workflow>(wf: T): T {
  if (wf === null || typeof wf !== 'object' || !Array.isArray(wf.steps)) return wf;
  const version = typeof wf.schemaVersion === 'number' ? wf.schemaVersion : 1;
  if (version >= WORKFLOW_SCHEMA_VERSION) return wf;
  if (!wf.steps.every((s) => Array.isArray(s?.request?.headers))) return wf;
  return { ...withCommonHeaders(wf), schemaVersion: WORKFLOW_SCHEMA_VERSION };
}
