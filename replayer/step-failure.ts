import { AppError, errorCategory, isAppError, type ErrorCode, type ErrorDetail, type RunStep, type WorkflowStep } from '../core/index.js';
import type { Verdict } from './break-detector.js';
import type { JournalEntry } from './run-journal.js';
import type { AbortLike, CookieSource, HttpClient, TransportError } from './http-client.js';

/** A step that did not go through, with what it means for the run. */
export class StepFailure extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly verdict: Verdict['kind'] | 'missing' | 'transport' | 'outcome',
    readonly stepIndex: number,
    details?: ErrorDetail[],
  ) {
    super(code, message, { details });
  }
}

/**
 * Whether a failure says the site changed (drift) rather than the session or the network: an
 * answer of another kind or shape than recorded, a 4xx the recording did not get, an outcome the
 * output no longer shows. What a browser run may still get through.
 */
export function isDrift(err: unknown): boolean {
  return err instanceof StepFailure && (err.code === 'site_changed' || err.code === 'target_error' || err.code === 'outcome_mismatch') && (err.verdict === 'drift' || err.verdict === 'error' || err.verdict === 'outcome');
}

/** What a look at a redirect's landing page needs: the run's client, origins, jar and signal. */
export interface LandingDeps {
  client: HttpClient;
  origins: ReadonlySet<string>;
  jar: CookieSource;
  signal?: AbortLike;
  timeoutMs: number;
}

  /**
   * A redirect to the login page's path that was not followed: look where it lands. A page there
   * without a login form (`/index.php?route=/`, the app's home on a single-entry-point app) is no
   * broken session but an answer the step did not expect.
   */
export async function judgeLanding(d: LandingDeps, step: WorkflowStep, verdict: Extract<Verdict, { kind: 'broken' }>, from: string): Promise<Verdict> {
    let url: URL;
    try {
      url = new URL(verdict.landing!, from);
    } catch {
      return verdict;
    }
    if (!d.origins.has(url.origin)) return verdict;
    try {
      const res = await d.client.send({ method: 'GET', url: url.href, parsedUrl: url, headers: { accept: 'text/html,application/xhtml+xml' } }, { jar: d.jar, origins: d.origins, maxHops: 5, signal: d.signal, timeoutMs: d.timeoutMs });
      const text = res.body.toString('utf8');
      if (res.status >= 200 && res.status < 300 && !/<input\b[^>]*\btype\s*=\s*["']?password\b/i.test(text)) {
        return { kind: 'error', reason: `${step.id} (${step.description}) was redirected to ${url.pathname}${url.search}, which is not the login page (no login form there)` };
      }
    } catch {
      // Cannot look: keep the verdict from the URL alone.
    }
    return verdict;
  }

/** Why a step that kept failing transiently (or may not be sent again) failed. */
export function transientFailure(step: WorkflowStep, i: number, attempts: number, transport: TransportError | undefined, status: number | undefined, retryAfter: number | undefined): StepFailure {
  const what = `${step.id} (${step.description})`;
  const tries = `after ${attempts} attempt${attempts > 1 ? 's' : ''}`;
  if (transport?.kind === 'timeout') return new StepFailure('target_timeout', `${what} timed out ${tries}`, 'transport', i);
  if (transport) return new StepFailure('target_unreachable', `${what}: ${transport.message.replace(/^.*?: /, '')} ${tries}`, 'transport', i);
  if (status === 429) {
    const wait = retryAfter !== undefined ? `; the site asks to wait ${Math.ceil(retryAfter / 1000)} s` : '';
    return new StepFailure('target_error', `${what} was rate limited (429) ${tries}${wait}`, 'transient', i);
  }
  return new StepFailure('target_error', `${what} answered ${status} ${tries}`, 'transient', i);
}

/** A state-changing step an earlier execution of the run sent, whose answer was lost: not sent again. */
export function answerLost(step: WorkflowStep, i: number, prior: JournalEntry): StepFailure {
  const what = `${step.id} (${step.description})`;
  return new StepFailure(
    'outcome_unknown',
    `${what} was sent by an earlier attempt of this run (attempt ${prior.attempt}, whose worker stopped) and its answer was lost: it may have acted, so it is not sent again`,
    'outcome',
    i,
    [{ path: `steps.${step.id}`, message: 'sent; answer not recorded', state: prior.state }],
  );
}

/** A failed step says why (the first cause: a later failure of the same step does not overwrite it). */
export function noteReason(step: RunStep, err: unknown): void {
  if (step.status === 'failed' && step.reason === undefined && err instanceof Error) step.reason = err.message;
}

/**
 * What a failed session repair throws, and whether the session is to blame (then it is dropped).
 * The site being down, the deadline, Redis or the pool are not the session's fault: that error is
 * thrown as it is.
 */
export function repairFailure(err: unknown, cause: StepFailure): { sessionProblem: boolean; error: unknown } {
  const sessionProblem =
    err instanceof StepFailure
      ? err.verdict === 'broken' || err.verdict === 'drift' || err.verdict === 'missing'
      : errorCategory(err) === 'session' || loginActionFailed(err) || (isAppError(err) && err.code === 'site_changed');
  if (!sessionProblem || (isAppError(err) && err.code === 'repair_failed')) return { sessionProblem, error: err };
  const how = loginActionFailed(err) ? 'the browser login failed: ' : '';
  return { sessionProblem, error: new AppError('repair_failed', `${cause.message}; repairing the session failed: ${how}${(err as Error).message}`) };
}

/** The recorded login actions could not be done in the browser (the login page changed under them). */
function loginActionFailed(err: unknown): boolean {
  return isAppError(err) && (err.code === 'action_failed' || err.code === 'invalid_action');
}
