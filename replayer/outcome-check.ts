import { AppError, jsonHolds, shownForms, type WorkflowStep } from '../core/index.js';
import { isJsonMime } from './extract.js';
import { stringify } from './variable-scope.js';

/** What a run got for its output step, in whatever mode it ran. */
export interface OutcomeView {
  status: number;
  contentType: string;
  text: string;
  /** The final URL and the redirect Locations on the way. */
  urls: readonly string[];
  /** Redirects followed to get the answer. */
  hops: number;
  /** The parsed body, when it is JSON (its strings are compared decoded: `<\/p>` is `</p>`). */
  json?: unknown;
}

/** What the page echoes back in its form controls (a failed submit re-renders the form with the values typed). */
const FORM_ECHO = /<textarea\b[^>]*>[\s\S]*?<\/textarea>|<input\b[^>]*>|<option\b[^>]*>[^<]*/gi;

function urlShows(urls: readonly string[], v: string): boolean {
  const enc = encodeURIComponent(v);
  for (const u of urls) {
    if (u.includes(v) || u.includes(enc)) return true;
    try {
      if (decodeURIComponent(u.replace(/\+/g, ' ')).includes(v)) return true;
    } catch {
      /* not decodable: compared raw above */
    }
  }
  return false;
}

function glimpse(v: OutcomeView): string {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(v.text)?.[1]?.trim();
  const head = v.text.replace(/\s+/g, ' ').slice(0, 200);
  return `${v.status} ${v.contentType || 'no content type'}${title ? `, title "${title}"` : ''}: ${head}`;
}

/**
 * Checks that a run's result is the result asked for: the output step answered the recorded kind
 * of response, and it shows this run's values where the recorded result showed the recorded
 * ones. Returns the mismatch (with expected vs got) or undefined. Non-secret inputs only.
 */
export function checkOutcome(step: WorkflowStep, input: (name: string) => unknown, v: OutcomeView): AppError | undefined {
  const exp = step.expect;
  const what = `${step.id} (${step.description})`;
  if (Math.floor(v.status / 100) !== Math.floor(exp.status / 100)) {
    return new AppError('outcome_mismatch', `${what} answered ${v.status}, recorded ${exp.status}`, { details: [{ path: 'output.status', message: 'another kind of answer than recorded', expected: exp.status, got: glimpse(v) }] });
  }
  if (exp.contentType && isJsonMime(exp.contentType) && !isJsonMime(v.contentType) && v.status !== 204 && exp.status !== 204) {
    return new AppError('outcome_mismatch', `${what} answered ${v.contentType || 'no content type'} where JSON was recorded`, { details: [{ path: 'output.contentType', message: 'not JSON', expected: exp.contentType, got: glimpse(v) }] });
  }
  if (step.redirects > 0 && v.hops === 0 && exp.status >= 200 && exp.status < 300) {
    // Post/redirect/get: the recorded submit was answered with a redirect; one answered in place
    // is a form shown again (an error, a new required field), whatever it echoes.
    return new AppError('outcome_mismatch', `${what} answered in place where the recorded answer redirected`, { details: [{ path: 'output', message: 'no redirect after the submit', expected: `a redirect (${step.redirects} hop${step.redirects > 1 ? 's' : ''})`, got: glimpse(v) }] });
  }
  const shows = exp.shows;
  if (!shows) return undefined;
  let text = v.text;
  if (shows.some((s) => s.where === 'body') && /html/.test(v.contentType)) text = text.replace(FORM_ECHO, ' ');
  for (const s of shows) {
    const raw = input(s.input);
    if (raw === undefined || raw === null) continue;
    const value = stringify(raw);
    if (value === '') continue;
    const ok = s.where === 'body' ? text.includes(value) || shownForms(value).some((f) => text.includes(f)) || (v.json !== undefined && jsonHolds(v.json, value)) : urlShows(v.urls, value);
    if (!ok) {
      const where = s.where === 'body' ? 'the result' : 'the URL the result landed on';
      return new AppError('outcome_mismatch', `${what}: ${where} does not show input ${s.input} ("${value}"), as the recorded result showed the recorded value`, { details: [
        { path: `inputs.${s.input}`, message: `not in ${where}`, expected: value, got: s.where === 'body' ? glimpse(v) : v.urls.join(' → ') },
      ] });
    }
  }
  return undefined;
}

