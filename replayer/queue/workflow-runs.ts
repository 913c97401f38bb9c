import type Bull from 'bull';
import { globEscape, type Logger } from '../../core/index.js';
import { RunJournal } from '../run-journal.js';
import type { RunJobData, RunLedger } from './run-ledger.js';

/**
 * Deletes a workflow's runs (its workflow is gone): their records, the workflow's run index, slot,
 * per-minute counters and Idempotency-Keys, and their bull jobs (whose data names the workflow),
 * those of runs already trimmed from the history included. Records go first: a worker that takes
 * one of these jobs from then on drops it (RunWorker: "run record gone"), and one running a run
 * now has its result discarded (saveIfCurrent finds no record). A job running now cannot be
 * removed (bull holds its lock): `running` lists them, for the caller to call again once they
 * finished. Returns how many run records were deleted.
 */
export async function deleteWorkflowRuns(ledger: RunLedger, queue: Bull.Queue, workflowId: string, log: Logger): Promise<{ deleted: number; running: string[] }> {
  const store = ledger.store;
  const idxKey = store.key('idx', ledger.indexName(workflowId));
  const ids = await store.call((r) => r.zrange(idxKey, 0, -1));
  let deleted = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const res = await store.call((r) => {
      const multi = r
        .multi()
        .del(...chunk.map((id) => store.key('run', id)))
        .zrem(store.key('run', 'index'), ...chunk)
        .del(...chunk.map((id) => RunJournal.key(store, id)));
      // A caller waiting for one of them (a sync run) hears now that it is gone, not when its wait ends.
      for (const id of chunk) multi.publish(ledger.doneChannel, id);
      return multi.exec();
    });
    deleted += Number(res?.[0]?.[1] ?? 0);
  }
  await store.call((r) => r.del(idxKey, ledger.slotKey(workflowId)));
  await store.deleteMatching(`rate:${globEscape(workflowId)}:*`);
  await store.deleteMatching(`idem:${globEscape(workflowId)}:*`);

  const running: string[] = [];
  for (const id of new Set([...ids, ...(await jobsOf(ledger, workflowId))])) {
    const job = await store.call(() => queue.getJob(id));
    if (!job) continue;
    // Refused while a worker holds the job's lock (it is running): left for the caller's next call.
    await job.remove().catch(() => running.push(id));
  }
  log.info('runs of a deleted workflow deleted', { workflowId, runs: deleted, running: running.length });
  return { deleted, running };
}

/** Ids of the bull jobs (in any state) whose data names the workflow. */
async function jobsOf(ledger: RunLedger, workflowId: string): Promise<string[]> {
  const k = (type: string) => ledger.bullKey(type);
  const lists = await ledger.store.call((r) =>
    Promise.all([r.lrange(k('wait'), 0, -1), r.lrange(k('paused'), 0, -1), r.lrange(k('active'), 0, -1), r.zrange(k('delayed'), 0, -1), r.zrange(k('completed'), 0, -1), r.zrange(k('failed'), 0, -1)]),
  );
  const all = [...new Set(lists.flat())];
  const found: string[] = [];
  for (let i = 0; i < all.length; i += 500) {
    const chunk = all.slice(i, i + 500);
    const res =
      (await ledger.store.call((r) => {
        const pipe = r.pipeline();
        for (const id of chunk) pipe.hget(k(id), 'data');
        return pipe.exec();
      })) ?? [];
    res.forEach(([, data], j) => {
      if (typeof data !== 'string' || !data.includes(workflowId)) return;
      try {
        if ((JSON.parse(data) as Partial<RunJobData>).workflowId === workflowId) found.push(chunk[j]!);
      } catch {
        /* not a run job */
      }
    });
  }
  return found;
}
