import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from '../../core/index.js';

export const SIGNATURE_HEADER = 'X-Replayfarm-Signature';
export const TIMESTAMP_HEADER = 'X-Replayfarm-Timestamp';

/** `sha256=<hex HMAC-SHA256 of body>`: the value of X-Replayfarm-Signature. */
export function signWebhookBody(body: string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/**
 * For receivers: whether `header` (X-Replayfarm-Signature) signs exactly `body` (the raw request
 * body, before any JSON parsing) with `secret`. Constant-time comparison.
 */
export function verifyWebhookSignature(body: string, header: string, secret: string): boolean {
  if (typeof header !== 'string' || typeof body !== 'string' || !secret) return false;
  const expected = Buffer.from(signWebhookBody(body, secret));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface WebhookDelivery {
  url: string;
  status?: number;
  error?: string;
}

export interface DeliverWebhookOptions {
  url: string;
  /** The exact JSON text sent (and signed). */
  body: string;
  /** Unset: the call goes out unsigned. */
  secret?: string;
  logger: Logger;
  /** Per-attempt timeout; default 5000 ms. */
  timeoutMs?: number;
  /** Attempts in all; default 3. */
  attempts?: number;
  /** Delay before the 2nd attempt, doubled each time; default 250 ms. */
  backoffMs?: number;
}

/**
 * POSTs a finished run to the caller's URL. Retries on network errors, timeouts, 408, 429 and
 * 5xx; a 2xx or any other 4xx ends it. Never throws: the outcome is returned for run.webhook.
 */
export async function deliverWebhook(opts: DeliverWebhookOptions): Promise<WebhookDelivery> {
  const attempts = opts.attempts ?? 3;
  let delay = opts.backoffMs ?? 250;
  let outcome: WebhookDelivery = { url: opts.url };
  for (let i = 1; i <= attempts; i++) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'replayfarm-webhook/1',
      [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)),
    };
    if (opts.secret) headers[SIGNATURE_HEADER] = signWebhookBody(opts.body, opts.secret);
    try {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers,
        body: opts.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
      await res.body?.cancel().catch(() => undefined);
      outcome = { url: opts.url, status: res.status };
      if (res.ok) return outcome;
      const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
      outcome.error = `HTTP ${res.status}`;
      if (!retryable) break;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      outcome = { url: opts.url, error: e.name === 'TimeoutError' ? 'timeout' : (e.cause?.code ?? e.message) };
    }
    opts.logger.warn('webhook attempt failed', { attempt: i, status: outcome.status, error: outcome.error });
    if (i < attempts) {
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
  return outcome;
}
