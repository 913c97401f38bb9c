/**
 * The one error catalogue. Every error the product reports has a stable snake_case code and an
 * HTTP status; server/ turns an AppError into `{error:{code,message,details}}` in exactly one place,
 * and anything else into a plain 500 that exposes nothing.
 */
export const ERROR_STATUS = {
  // request shape
  invalid_json: 400,
  invalid_request: 400,
  invalid_input: 400,
  invalid_har: 400,
  invalid_action: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  request_timeout: 408,
  header_too_large: 431,
  rate_limited: 429,
  too_many_recordings: 429,
  queue_full: 429,
  // recording / learning
  recording_not_active: 409,
  recording_failed: 422,
  action_failed: 422,
  learn_failed: 422,
  // replay
  target_forbidden: 422,
  target_unreachable: 502,
  target_error: 502,
  target_timeout: 504,
  session_broken: 502,
  site_changed: 502,
  repair_failed: 502,
  outcome_mismatch: 502,
  /** A state-changing step was sent but its answer was lost (its worker died): it may or may not have acted. Never resent. */
  outcome_unknown: 502,
  captcha_required: 502,
  second_factor_required: 502,
  circuit_open: 503,
  run_deadline_exceeded: 504,
  // infrastructure
  redis_unavailable: 503,
  pool_exhausted: 503,
  pool_timeout: 503,
  browser_not_found: 503,
  browser_crashed: 503,
  lease_expired: 503,
  browser_error: 502,
  not_ready: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  path?: string;
  message: string;
  [k: string]: unknown;
}

export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    /** Seconds after which a retry may succeed (sent as Retry-After). */
    readonly retryAfter?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.statusCode = ERROR_STATUS[code];
  }

  /** Whether a caller may retry the same operation later (infrastructure or transient target faults). */
  get retryable(): boolean {
    return this.statusCode === 503 || this.statusCode === 429 || this.code === 'target_unreachable' || this.code === 'target_timeout' || this.code === 'browser_crashed';
  }

  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetail[] } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The public shape of any error, safe to send or store: an unknown error becomes `internal`. */
export function toPublicError(err: unknown): { code: string; message: string; details?: ErrorDetail[] } {
  if (isAppError(err)) return err.toJSON();
  return { code: 'internal', message: 'Internal error' };
}
