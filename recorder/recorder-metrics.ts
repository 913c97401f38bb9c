import { AppError, counter, gauge, histogram, isAppError, DURATION_BUCKETS, type Logger, type Registry } from '../core/index.js';

/** The recorder's metrics, get-or-create on the shared registry. */
export function recorderMetrics(registry: Registry) {
  return {
    started: counter(registry, { name: 'replayfarm_recordings_started_total', help: 'Browser recordings started', labelNames: ['mode'] as const }),
    stopped: counter(registry, { name: 'replayfarm_recordings_stopped_total', help: 'Recordings stopped, by reason', labelNames: ['reason'] as const }),
    refused: counter(registry, { name: 'replayfarm_recording_requests_refused_total', help: 'Requests of recording browsers refused by the address policy (metadata, link-local; loopback and private unless allowed)' }),
    open: gauge(registry, { name: 'replayfarm_recordings_open', help: 'Browser recordings open now' }),
    ingested: counter(registry, { name: 'replayfarm_har_ingest_total', help: 'HAR uploads, by result (ok or error code)', labelNames: ['result'] as const }),
    ingestSeconds: histogram(registry, { name: 'replayfarm_har_ingest_duration_seconds', help: 'Time to decode, validate, learn and store an uploaded HAR', buckets: DURATION_BUCKETS }),
  };
}

export type RecorderMetrics = ReturnType<typeof recorderMetrics>;

/** An upload that failed, as the error to answer with: counted by code, logged when unexpected. */
export function ingestFailure(err: unknown, metrics: RecorderMetrics, log: Logger): AppError {
  const error = isAppError(err) ? err : new AppError('invalid_har', 'HAR is invalid: it cannot be read', { details: [{ path: '', message: 'unreadable' }], cause: err });
  if (!isAppError(err)) log.warn('HAR ingest failed unexpectedly', { error: String(err) });
  metrics.ingested.inc({ result: error.code });
  return error;
}
