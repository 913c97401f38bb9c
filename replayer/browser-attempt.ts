import type { Browser, Request } from 'playwright';
import { AppError, isAppError, type RunStep, type WorkflowStep } from '../core/index.js';
import type { Lease } from '../browser-pool/index.js';

/** A state-changing step of the workflow and how to tell its request among the page's. */
export interface Effect {
  step: WorkflowStep;
  match: (method: string, url: string) => boolean;
}

/** A state-changing request the page sent; `status` once it was answered. */
export interface SentEffect {
  step: WorkflowStep;
  status?: number;
}

/** How long a Playwright "… closed" error may come before the browser's disconnect is seen. */
const CRASH_SETTLE_MS = 2000;

/**
 * One try of a browser run: its lease, the actions it logged, and every request the page sent
 * that matches a state-changing step (seen when the request leaves, answered or not). These tell
 * a crash that can be retried from one after which the site may already have acted.
 */
export class BrowserAttempt {
  lease: Lease | undefined;
  readonly steps: RunStep[] = [];
  readonly sent: SentEffect[] = [];

  constructor(
    /** The state-changing steps to watch for (none for a login: its state-changing calls are blocked). */
    private readonly effects: Effect[],
    /** The browser an earlier attempt crashed on; this attempt must not land on it. */
    private readonly crashed?: Browser,
  ) {}

  /**
   * Call first thing with the attempt's lease, before the page acts. The context routes every
   * request through a handler of ours, so its 'request' event always comes before the request
   * can leave the browser.
   */
  onLease(lease: Lease): void {
    this.lease = lease;
    if (this.crashed && lease.browser === this.crashed) throw new AppError('browser_crashed', 'The browser pool handed out the browser that had just crashed');
    if (!this.effects.length) return;
    const pending = new Map<Request, SentEffect>();
    lease.context.on('request', (req) => {
      const e = this.effects.find((x) => x.match(req.method(), req.url()));
      if (!e) return;
      const sent: SentEffect = { step: e.step };
      this.sent.push(sent);
      pending.set(req, sent);
    });
    lease.context.on('response', (res) => {
      const sent = pending.get(res.request());
      if (sent) sent.status = res.status();
    });
  }
}

/**
 * Whether `err` is the crash of the attempt's browser. Playwright may report "Target … closed" (or
 * an action may fail with it) a moment before the browser's disconnect is seen: then wait briefly.
 */
export async function crashedUnder(lease: Lease | undefined, err: unknown): Promise<boolean> {
  if (isAppError(err) && err.code === 'browser_crashed') return true;
  if (!lease) return false;
  if (lease.crashed || !lease.browser.isConnected()) return true;
  if (isAppError(err) && err.code === 'lease_expired') return false;
  if (!/closed|crash/i.test(err instanceof Error ? err.message : String(err))) return false;
  const until = Date.now() + CRASH_SETTLE_MS;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    if (!lease.browser.isConnected()) return true;
  }
  return false;
}

/** The error of a crash after a state-changing request went out: not retried, the site may have acted. */
export function outcomeUnknown(what: string, sent: SentEffect[], err: unknown): AppError {
  const first = sent[0]!;
  const fate = first.status === undefined ? 'before it was answered' : `after it was answered ${first.status}`;
  return new AppError(
    'outcome_unknown',
    `The browser crashed during the ${what} ${fate}: ${first.step.id} (${first.step.description}, state-changing) had been sent, so the site may have acted; the run is not retried, to avoid doing it twice. Check the site before running again`, { details: sent.map((s) => ({ path: s.step.id, message: `${s.step.description} was sent${s.status === undefined ? ', no answer before the crash' : `, answered ${s.status}`}`, state: s.status === undefined ? 'sent' : 'answered' })), cause: err },
  );
}

/**
 * Says on the successful retry's steps that the browser crashed: each action the crashed attempt
 * had reached counts one more attempt, and the one it crashed during (or after) gives the reason.
 */
export function noteRetry(steps: RunStep[], crashed: BrowserAttempt): void {
  const reached = crashed.steps.length;
  for (let i = 0; i < Math.min(reached, steps.length); i++) steps[i]!.attempts += 1;
  const last = crashed.steps[reached - 1];
  const at = steps[Math.max(0, Math.min(reached, steps.length) - 1)];
  if (!at) return;
  const when = !last ? 'before the first action' : last.status === 'failed' ? 'during this action' : 'after this action';
  at.reason = `the browser crashed ${when}; the run was retried once on a fresh browser (nothing state-changing had been sent)`;
}
