export { RecordingManager, type RecordingManagerOptions, type StartRecordingOptions, type RecordingResult } from './recording-manager.js';
export { ingestHar, type IngestHarOptions, type IngestedHar } from './har-ingest.js';
export { IngestPool, sealKeyOf, type IngestPoolOptions, type IngestOptions } from './ingest-pool.js';
export { redactHar, redactActions, type RedactHarOptions } from './redact-har.js';
export { parseActions } from './parse-actions.js';
export { learn, parseTarget, type LearnOptions, type TargetSpec } from './learner/index.js';
export type { RecordingLive, LiveRequest, ActionMark } from './recording-live.js';
