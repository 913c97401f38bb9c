/**
 * What counts as a secret, in one place: the logger, the HAR redactor and the API use these
 * predicates so that a header, field or parameter is treated alike everywhere.
 */
export const REDACTED = '[REDACTED]';

const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-access-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-amz-security-token',
]);

/** Names of fields/parameters whose values are secrets (password, token, api_key, otp, …). */
const SECRET_NAME = /(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|apikey|auth|session|sid|otp|pin|credential|private[-_]?key|signature|csrf|xsrf)/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Deep-copies a plain JSON-ish value with secret-named keys replaced by REDACTED. */
export function redactObject<T>(value: T, depth = 0): T {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactObject(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if ((isSecretName(k) || isSecretHeader(k)) && (typeof v === 'string' || typeof v === 'number')) out[k] = REDACTED;
    else out[k] = redactObject(v, depth + 1);
  }
  return out as T;
}
