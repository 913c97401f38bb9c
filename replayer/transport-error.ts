import { AppError } from '../core/index.js';

/** An AbortSignal, or an object with aborted/reason and the EventEmitter methods undici calls for 'abort' (on, once, removeListener). */
export type AbortLike = AbortSignal | { readonly aborted: boolean; readonly reason?: unknown; on(event: 'abort', l: () => void): unknown; once(event: 'abort', l: () => void): unknown; removeListener(event: 'abort', l: () => void): unknown };

/**
 * Why a request got no response. `delivered` is false when the request certainly never reached
 * the server (connection refused, address refused): only then may a state-changing step be retried.
 */
export class TransportError extends Error {
  constructor(
    readonly kind: 'refused' | 'reset' | 'timeout' | 'aborted' | 'too_large',
    message: string,
    readonly delivered: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

export function toTransportError(err: unknown, signal: AbortLike | undefined, what: string): Error {
  if (err instanceof AppError || err instanceof TransportError) return err;
  const code = errCode(err);
  if (code === 'ERR_TARGET_FORBIDDEN') return new AppError('target_forbidden', (err as Error).message);
  // undici refused to build the request (a header value outside Latin-1, say): nothing was sent,
  // and sending it again would not help.
  if (code === 'UND_ERR_INVALID_ARG') return new AppError('invalid_input', `${what} cannot be sent: ${(err as Error).message} (a value HTTP cannot carry there)`);
  if (signal?.aborted) return new TransportError('aborted', `${what}: aborted`, true, { cause: signal.reason });
  if (code && REFUSED.has(code)) return new TransportError('refused', `${what}: ${code}`, false, { cause: err });
  if (code && TIMEOUT.has(code)) return new TransportError('timeout', `${what}: ${code}`, true, { cause: err });
  return new TransportError('reset', `${what}: ${code ?? (err as Error)?.message ?? 'connection failed'}`, true, { cause: err });
}

function errCode(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let i = 0; e && i < 4; i++) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
    if (e.code === 'UND_ERR_SOCKET' && !e.cause) return e.code;
    e = e.cause as typeof e;
  }
  return (err as { code?: string })?.code;
}
