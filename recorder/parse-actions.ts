import type { ValidateFunction } from 'ajv';
import { ActionListSchema, AppError, createAjv, schemaProblems, type Action } from '../core/index.js';

/** What a clean copy keeps: the schema's fields (anything else a caller sent is dropped). */
const KEPT = ['selector', 'url', 'value', 'key', 'input', 'secret', 'pageUrl'] as const;

let validate: ValidateFunction | undefined;

/**
 * Checks scripted actions (API bodies, CLI files) against core's ActionListSchema (the same one the
 * API document shows) and returns clean copies. Throws AppError('invalid_action') listing every
 * problem with its JSON path (`[2].selector`).
 */
export function parseActions(x: unknown): Action[] {
  // Compiled on first use: importing the recorder costs nothing until actions arrive.
  validate ??= createAjv().compile(ActionListSchema);
  const problems = schemaProblems(validate, x);
  if (problems.length) throw new AppError('invalid_action', `Invalid action: ${problems[0]!.path || 'actions'} ${problems[0]!.message}`, { details: problems });
  return (x as Array<Record<string, unknown>>).map((a) => {
    const action = { type: a.type } as Action;
    for (const f of KEPT) if (a[f] !== undefined) (action as unknown as Record<string, unknown>)[f] = a[f];
    return action;
  });
}
