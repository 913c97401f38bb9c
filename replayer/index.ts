/** The replayer's public surface: what the server (and the CLI, tests and benches) may use. */
export { Replayer, type ReplayerOptions, type RunRequest, type RunResult } from './replayer.js';
export type { DriftEvidence } from './replayer-options.js';
export { RunExecutor, type RunExecutorOptions } from './run-executor.js';
export { RunSubmitter, type RunSubmitterOptions, type RunTarget, type SubmitRequest } from './run-submitter.js';
export { WorkflowCache, type WorkflowCacheOptions } from './workflow-cache.js';
export { SessionStore, type SessionStoreOptions, type StoredSession } from './session-store.js';
/** Also used for webhook targets: the same address rules as replays (link-local/metadata always refused). */
export { AddressPolicy, type AddressPolicyOptions } from '../core/index.js';
export {
  RunQueue,
  RunLedger,
  RunWorker,
  WorkflowChangedError,
  deliverWebhook,
  verifyWebhookSignature,
  signWebhookBody,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  type RunQueueOptions,
  type RunLedgerOptions,
  type EnqueueRequest,
  type RunJobData,
  type RunWorkerOptions,
  type RunJobContext,
  type RunFilter,
  type RunSearch,
  SEARCH_SCAN_LIMIT,
} from './queue/index.js';
