/** One open recording as the manager holds it, and what is asked of its browser lease. */
import type { Page } from 'playwright';
import type { Lease } from '../browser-pool/index.js';
import { AppError, type Recording } from '../core/index.js';
import type { ActionCapture } from './action-capture.js';
import type { RecordingResult } from './recording-options.js';

export type StopReason = NonNullable<Recording['stopReason']>;

export interface Session {
  rec: Recording;
  lease: Lease;
  page: Page;
  capture: ActionCapture;
  harPath: string;
  idle?: NodeJS.Timeout;
  max?: NodeJS.Timeout;
  queue: Promise<unknown>;
  /** Set once start() has run the initial actions: timers and window events count from then on. */
  ready: boolean;
  /** A live view is attached (one at a time). */
  viewed?: boolean;
  stopping?: Promise<RecordingResult>;
  done: Promise<RecordingResult>;
  settle: { resolve: (r: RecordingResult) => void; reject: (e: unknown) => void };
}

/** The lease's browser crashed or is gone (a crash may close the pages, and start a stop, before the lease hears of it). */
export function crashed(lease: Lease): boolean {
  return lease.crashed || !lease.browser.isConnected();
}

/** Whether the browser turns out to have crashed within a short while. */
export async function crashedSoon(lease: Lease, ms = 2000): Promise<boolean> {
  for (const until = Date.now() + ms; !crashed(lease) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
  return crashed(lease);
}

/** Why a stored recording takes no more actions, in words that agree with its status. */
export function notActive(rec: Recording): AppError {
  if (rec.status === 'failed') return new AppError('recording_not_active', `recording ${rec.id} failed: ${rec.error?.message ?? 'it was not saved'}`);
  return new AppError('recording_not_active', `recording ${rec.id} is ${rec.status === 'recording' ? 'not open in this process' : 'stopped'}`);
}

/** The promise's value, or undefined once `ms` have passed. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<undefined>((r) => { t = setTimeout(() => r(undefined), ms); })]).finally(() => clearTimeout(t));
}
