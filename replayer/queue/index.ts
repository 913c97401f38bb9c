export { RunQueue, WorkflowChangedError, type RunQueueOptions, type EnqueueRequest } from './run-queue.js';
export { RunLedger, type RunLedgerOptions, type RunJobData } from './run-ledger.js';
export { RunWorker, type RunWorkerOptions, type RunJobContext } from './run-worker.js';
export { deliverWebhook, verifyWebhookSignature, signWebhookBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook.js';
export { SEARCH_SCAN_LIMIT, type RunFilter, type RunSearch } from './run-search.js';
