import type { WebSocket } from 'ws';
import type { LiveFrame } from '../browser-pool/index.js';
import { isAppError, toPublicError } from '../core/index.js';
import type { RecordingLive } from '../recorder/index.js';

/** A viewer that has not taken this much yet gets no new frame (it is dropped, the next one comes). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** At most one error message a second: a flood of bad input does not flood the viewer back. */
const ERROR_EVERY_MS = 1000;

/**
 * What the live view sends its viewer. JSON messages:
 * `hello` {recording} once; `viewport` {width, height} when the page's size changes; `actions`
 * {from, actions} and `requests` {from, requests} as the logs grow (typed secrets as •••, secret
 * query values as ***); `marked` {index, action}; `stopped` {recording, workflowId}; `error`
 * {code, message}. Binary messages are JPEG frames.
 */
export class LiveFeed {
  private actionsSent = 0;
  private requestsSent = 0;
  private size?: { width: number; height: number };
  private lastError = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly live: RecordingLive,
  ) {}

  hello(): void {
    this.json({ type: 'hello', recording: this.live.recording() });
    this.progress();
  }

  frame(f: LiveFrame): Promise<void> {
    if (this.ws.readyState !== this.ws.OPEN || this.ws.bufferedAmount > MAX_BUFFERED_BYTES) return Promise.resolve();
    return new Promise((resolve) => this.ws.send(f.jpeg, { binary: true }, () => resolve()));
  }

  viewport(size: { width: number; height: number }): void {
    if (this.size?.width === size.width && this.size.height === size.height) return;
    this.size = size;
    this.json({ type: 'viewport', ...size });
  }

  /** Sends what the action log and the request list gained since last time. */
  progress(): void {
    const actions = this.live.recording().actions;
    if (actions.length > this.actionsSent) {
      this.json({ type: 'actions', from: this.actionsSent, actions: actions.slice(this.actionsSent) });
      this.actionsSent = actions.length;
    }
    const requests = this.live.requests(this.requestsSent);
    if (requests.length) {
      this.json({ type: 'requests', from: this.requestsSent, requests });
      this.requestsSent += requests.length;
    }
  }

  /** `{type:'mark', index, input?, secret?}`: names a typed value's input, or makes it a secret. */
  mark(msg: Record<string, unknown>): void {
    const { index, input, secret } = msg;
    if (!Number.isInteger(index) || (input !== undefined && input !== null && typeof input !== 'string') || (secret !== undefined && typeof secret !== 'boolean')) {
      return this.error('invalid_request', 'mark takes {index, input?: string | null, secret?: boolean}');
    }
    try {
      const action = this.live.mark(index as number, { input: input as string | null | undefined, secret: secret as boolean | undefined });
      this.json({ type: 'marked', index, action });
    } catch (err) {
      const e = isAppError(err) ? toPublicError(err) : { code: 'invalid_request', message: String((err as Error)?.message) };
      this.error(e.code, e.message);
    }
  }

  stopped(recordingId: string, workflowId: string): void {
    this.progress();
    this.json({ type: 'stopped', recording: recordingId, workflowId });
    this.ws.close(1000, 'recording stopped');
  }

  error(code: string, message: string): void {
    const now = Date.now();
    if (now - this.lastError < ERROR_EVERY_MS) return;
    this.lastError = now;
    this.json({ type: 'error', code, message });
  }

  private json(msg: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }
}
