/**
 * The one error catalogue. Every error the product reports has a stable snake_case code and an
 * HTTP status; server/ turns an AppError into `{error:{code,message,details}}` in exactly one place,
 * and anything else into a plain 500 that exposes nothing.
 */
/**
 * What kind of trouble a code is; code that must decide what to do next branches on this, never
 * on hand-kept lists of codes.
 * - input: the caller's request (or what it asked for) is wrong; trying again will not help.
 * - session: the site's login session is broken or could not be repaired.
 * - person: the site wants a person (CAPTCHA, second factor); no machine repair can help.
 * - transient: a capacity or availability problem here or at the site; a later retry may work.
 * - target: the site answered, but not with what the workflow expects (or its fate is unknown).
 * - browser: a browser, its pool or an action in it failed.
 * - internal: a bug; the message exposes nothing.
 */
export type ErrorCategory = 'input' | 'session' | 'person' | 'transient' | 'target' | 'browser' | 'internal';

export interface ErrorSpec {
  /** The HTTP status the API answers with. */
  status: number;
  category: ErrorCategory;
  /** The message used when the thrower gives none; says what the code means. */
  message: string;
  /** A later retry of the same operation may succeed (answered with Retry-After when known). Default: transient codes. */
  retryable?: boolean;
}

function spec(status: number, category: ErrorCategory, message: string, retryable = category === 'transient'): ErrorSpec {
  return { status, category, message, retryable };
}

/** Every code the product reports, with its status, category and meaning (fastify's lib/errors.js is the model). */
export const ERROR_CATALOGUE = {
  // request shape
  invalid_json: spec(400, 'input', 'The request body is not valid JSON'),
  invalid_request: spec(400, 'input', 'The request is not valid'),
  invalid_input: spec(400, 'input', "The run's inputs are not valid for this workflow"),
  invalid_har: spec(400, 'input', 'The HAR is not valid'),
  invalid_action: spec(400, 'input', 'An action is not valid'),
  unauthorized: spec(401, 'input', 'An API key is needed (Authorization: Bearer <key>)'),
  forbidden: spec(403, 'input', 'This API key may not do that'),
  not_found: spec(404, 'input', 'Not found'),
  conflict: spec(409, 'input', 'The resource changed or is in a state that does not allow this'),
  payload_too_large: spec(413, 'input', 'The request body is too large'),
  unsupported_media_type: spec(415, 'input', 'The request body must be JSON'),
  request_timeout: spec(408, 'input', 'The request took too long to arrive'),
  header_too_large: spec(431, 'input', 'The request headers are too large'),
  rate_limited: spec(429, 'transient', 'Too many requests; retry later'),
  too_many_recordings: spec(429, 'transient', 'Too many recordings are open; retry later'),
  queue_full: spec(429, 'transient', 'The run queue is full; retry later'),
  // recording / learning
  recording_not_active: spec(409, 'input', 'The recording is not open'),
  recording_failed: spec(422, 'browser', 'The recording failed'),
  action_failed: spec(422, 'browser', 'An action could not be done in the browser'),
  learn_failed: spec(422, 'input', 'No workflow could be learned from what was recorded'),
  // replay
  target_forbidden: spec(422, 'input', 'The address policy refuses this target'),
  target_unreachable: spec(502, 'transient', 'The site could not be reached'),
  target_error: spec(502, 'target', 'The site answered with an error'),
  target_timeout: spec(504, 'transient', 'The site did not answer in time'),
  session_broken: spec(502, 'session', "The site's session is broken"),
  site_changed: spec(502, 'target', 'The site no longer answers the way it did when recorded'),
  repair_failed: spec(502, 'session', 'The session could not be repaired'),
  outcome_mismatch: spec(502, 'target', 'The run did not do what was recorded'),
  /** A state-changing step was sent but its answer was lost (its worker died): it may or may not have acted. Never resent. */
  outcome_unknown: spec(502, 'target', 'A state-changing step was sent but its outcome is unknown'),
  captcha_required: spec(502, 'person', 'The site asks for a CAPTCHA'),
  second_factor_required: spec(502, 'person', 'The site asks for a second factor'),
  circuit_open: spec(503, 'transient', 'The site is failing; runs fail fast until it recovers'),
  run_deadline_exceeded: spec(504, 'target', "The run did not finish within its deadline", false),
  // infrastructure
  redis_unavailable: spec(503, 'transient', 'Redis is not reachable'),
  pool_exhausted: spec(503, 'transient', 'All browsers are busy'),
  pool_timeout: spec(503, 'transient', 'No browser became free in time'),
  browser_not_found: spec(503, 'browser', 'No browser is installed', true),
  browser_crashed: spec(503, 'browser', 'The browser crashed', true),
  lease_expired: spec(503, 'browser', 'The browser lease was held too long and taken back', true),
  browser_error: spec(502, 'browser', 'The browser failed'),
  not_ready: spec(503, 'transient', 'The service is not ready'),
  internal: spec(500, 'internal', 'Internal error'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** The catalogue entry of a code; undefined for a code that is not in it. */
export function errorSpec(code: string): ErrorSpec | undefined {
  return Object.hasOwn(ERROR_CATALOGUE, code) ? ERROR_CATALOGUE[code as ErrorCode] : undefined;
}

export interface ErrorDetail {
  path?: string;
  message: string;
  [k: string]: unknown;
}

export interface AppErrorOptions {
  /** Where and what exactly, e.g. JSON paths of a request body. */
  details?: ErrorDetail[];
  /** Seconds after which a retry may succeed (sent as Retry-After). */
  retryAfter?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly statusCode: number;
  readonly category: ErrorCategory;
  readonly details?: ErrorDetail[];
  readonly retryAfter?: number;

  /** `message` defaults to the catalogue's; a code outside the catalogue is a bug and throws. */
  constructor(
    readonly code: ErrorCode,
    message?: string,
    opts: AppErrorOptions = {},
  ) {
    const entry = errorSpec(code);
    if (!entry) throw new TypeError(`AppError: ${String(code)} is not in the error catalogue`);
    super(message ?? entry.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.statusCode = entry.status;
    this.category = entry.category;
    if (opts.details) this.details = opts.details;
    if (opts.retryAfter !== undefined) this.retryAfter = opts.retryAfter;
  }

  /** Whether a caller may retry the same operation later (the catalogue says, per code). */
  get retryable(): boolean {
    return errorSpec(this.code)!.retryable === true;
  }

  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetail[] } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** The category of any error: an AppError's own, anything else is internal. */
export function errorCategory(err: unknown): ErrorCategory {
  return err instanceof AppError ? err.category : 'internal';
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The public shape of any error, safe to send or store: an unknown error becomes `internal`. */
export function toPublicError(err: unknown): { code: string; message: string; details?: ErrorDetail[] } {
  if (isAppError(err)) return err.toJSON();
  return { code: 'internal', message: 'Internal error' };
}
