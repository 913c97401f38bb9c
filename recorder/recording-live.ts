import type { Page } from 'playwright';
import { AppError, isSecretName, type Action, type Recording } from '../core/index.js';
import type { RecordingResult } from './recording-options.js';
import { redactActions } from './redact-har.js';
import type { Session } from './recording-session.js';

/** A captured request as the live view lists it (secret-looking query values masked). */
export interface LiveRequest {
  method: string;
  url: string;
  status: number;
}

/** What a person marks on a typed value: the input it feeds (null: none), and whether it is a secret. */
export interface ActionMark {
  input?: string | null;
  secret?: boolean;
}

/**
 * An open recording as its live view sees it (RecordingManager.live): the page to stream and drive,
 * the action log and captured requests as they grow, marks on typed values. One viewer at a time:
 * release() lets the next one in; the recording itself goes on until it is stopped or idle.
 */
export interface RecordingLive {
  readonly id: string;
  /** The key id that started it (undefined when the API needs no key). */
  readonly owner?: string;
  /** The page the person sees: the newest open tab of the recording. */
  page(): Page | undefined;
  recording(): Recording;
  requests(from: number): LiveRequest[];
  mark(index: number, mark: ActionMark): Action;
  /** Counts as activity (the idle timeout starts again). */
  touch(): void;
  /** Resolves when the recording stops, for any reason. */
  readonly stopped: Promise<RecordingResult>;
  release(): void;
}

const INPUT_NAME = /^[A-Za-z_][\w-]{0,63}$/;

export function liveOf(s: Session, touch: () => void): RecordingLive {
  s.viewed = true;
  return {
    id: s.rec.id,
    owner: s.rec.owner,
    page: () => s.lease.context.pages().filter((p) => !p.isClosed()).at(-1),
    recording: () => ({ ...s.rec, actions: redactActions(s.capture.actions) }),
    requests: (from) => s.capture.traffic.summaries(from).map((r) => ({ ...r, url: maskQuery(r.url) })),
    mark: (index, mark) => markAction(s.capture.actions, index, mark),
    touch,
    stopped: s.done,
    release: () => {
      s.viewed = false;
    },
  };
}

function markAction(actions: Action[], index: number, mark: ActionMark): Action {
  const a = actions[index];
  if (!a || a.type !== 'fill') throw new AppError('invalid_action', `action ${index} is not a typed value`, { details: [{ path: 'index', message: 'not a fill action of this recording' }] });
  if (mark.input !== undefined && mark.input !== null && !INPUT_NAME.test(mark.input)) {
    throw new AppError('invalid_action', 'an input name is a letter or _ then up to 63 letters, digits, _ or -', { details: [{ path: 'input', message: 'not a valid input name' }] });
  }
  if (mark.input === null) delete a.input;
  else if (mark.input !== undefined) a.input = mark.input;
  if (mark.secret !== undefined) a.secret = mark.secret;
  return redactActions([a])[0]!;
}

/** The URL with the values of secret-looking query parameters (token, password, …) masked. */
function maskQuery(url: string): string {
  try {
    const u = new URL(url);
    for (const [k] of u.searchParams) if (isSecretName(k)) u.searchParams.set(k, '***');
    return u.href;
  } catch {
    return url;
  }
}
