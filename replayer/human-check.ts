import { AppError } from '../core/index.js';

const CAPTCHA = /\b(g-recaptcha|h-captcha|cf-turnstile|frc-captcha)\b|recaptcha\/api\.js|hcaptcha\.com\/1\/api\.js|challenges\.cloudflare\.com\/turnstile|\bdata-sitekey\s*=/i;
const SECOND_FACTOR = /<input\b[^>]*(autocomplete\s*=\s*["']?one-time-code|\b(name|id)\s*=\s*["']?[\w\[\]-]*(otp|totp|2fa|two_?factor|twofactor|mfa|authcode|auth_code|verification_?code|security_?code)\b)/i;

/**
 * A page that wants a person: a CAPTCHA, or a second factor (a one-time code). No replay can
 * answer either; the run says which, at once, instead of retrying or repairing in a loop.
 */
export function humanCheck(contentType: string, text: string, what: string): AppError | undefined {
  if (!/html/.test(contentType)) return undefined;
  if (CAPTCHA.test(text)) return new AppError('captcha_required', `${what} answered a CAPTCHA: a person must solve it; replayfarm cannot (run it again later, or from an address the site trusts)`);
  if (SECOND_FACTOR.test(text)) return new AppError('second_factor_required', `${what} asks for a second factor (a one-time code): use an account without 2FA for automation, or an app password / API token the site offers`);
  return undefined;
}
