import { AppError, versionOf, type RedisStore, type VersionReason, type Workflow, type WorkflowVersions } from '../core/index.js';

/**
 * Stores `next` as the workflow's next version, only if the stored workflow is still the version
 * `current` was read at (409 conflict otherwise: two edits never silently overwrite each other),
 * and records both states in its history.
 */
export async function saveNextVersion(store: RedisStore, versions: WorkflowVersions, current: Workflow, next: Workflow, reason: VersionReason, note?: string): Promise<Workflow> {
  await versions.ensure(current);
  const saved: Workflow = { ...next, version: versionOf(current) + 1 };
  const ok = await store.modify<Workflow>('workflow', current.id, (stored) => (versionOf(stored) === versionOf(current) ? saved : undefined));
  if (!ok) throw new AppError('conflict', `workflow ${current.id} changed while this was being saved (it is past version ${versionOf(current)}): read it again and retry`);
  await versions.record(saved, reason, note);
  return saved;
}
