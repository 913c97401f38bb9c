export { Replayer, type ReplayerOptions, type RunRequest, type RunResult } from './replayer.js';
/** Also used for webhook targets: the same address rules as replays (link-local/metadata always refused). */
export { AddressPolicy, type AddressPolicyOptions } from '../core/index.js';
export {
  RunQueue,
  RunWorker,
  verifyWebhookSignature,
  signWebhookBody,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  type RunQueueOptions,
  type EnqueueRequest,
  type RunWorkerOptions,
  type RunJobContext,
} from './queue/index.js';
