import type { RedisStore, Run } from '../../core/index.js';

/** Which runs a search keeps; absent fields keep all. */
export interface RunFilter {
  workflowId?: string;
  status?: Run['status'];
  mode?: Run['mode'];
  limit?: number;
  offset?: number;
}

export interface RunSearch {
  runs: Run[];
  /** False when the search stopped at its scan bound before it had looked at every run. */
  complete: boolean;
}

/** Records a filtered search reads at most; each page is one ZREVRANGE and one MGET. */
export const SEARCH_SCAN_LIMIT = 5000;
const PAGE = 200;

/**
 * Runs newest first from `index` (a named index, or the kind's own when undefined), keeping those
 * that match `status` and `mode`: without either it is one page read; with them, records are read
 * page by page until `offset + limit` matched or SEARCH_SCAN_LIMIT were looked at.
 */
export async function searchRuns(store: RedisStore, index: string | undefined, f: RunFilter): Promise<RunSearch> {
  const limit = f.limit ?? 50;
  const offset = f.offset ?? 0;
  if (!f.status && !f.mode) {
    const runs = await store.list<Run>('run', { index, limit, offset });
    return { runs, complete: true };
  }
  const keep = (r: Run) => (!f.status || r.status === f.status) && (!f.mode || r.mode === f.mode);
  const matched: Run[] = [];
  for (let at = 0; at < SEARCH_SCAN_LIMIT; at += PAGE) {
    const page = await store.list<Run>('run', { index, limit: PAGE, offset: at });
    matched.push(...page.filter(keep));
    if (matched.length >= offset + limit) return { runs: matched.slice(offset, offset + limit), complete: true };
    if (page.length < PAGE) return { runs: matched.slice(offset), complete: true };
  }
  return { runs: matched.slice(offset, offset + limit), complete: false };
}
