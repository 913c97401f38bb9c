import type { Workflow } from '../core/index.js';
import { decodePart } from './action-inputs.js';
import type { RunInputs } from './run-inputs.js';
import { stringify } from './variable-scope.js';

/** Whether a request (method, URL) is the one a matcher was built for. */
export type Matcher = (method: string, url: string) => boolean;

/**
 * A step's URL template with what is known before the page runs filled in: constants and this
 * run's inputs. Only values the page itself supplies stay placeholders: a matcher built from it
 * tells `?route=/table/replace` from `?route=/lint`.
 */
export function knownParts(wf: Workflow, template: string, inputs: RunInputs): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.$-]+)\s*\}\}/g, (whole, name: string) => {
    const v = wf.variables.find((x) => x.name === name);
    if (v?.source.kind === 'constant') return encodeURIComponent(v.source.value);
    if (v?.source.kind === 'input' && !inputs.isSecret(v.source.input) && !v.transform) {
      const value = inputs.get(v.source.input);
      if (value !== undefined && value !== null) return encodeURIComponent(stringify(value));
    }
    return whole;
  });
}

/**
 * Matches a request by method, by the path of a URL template (placeholders match one segment or
 * more) and by its query: a literal parameter must be there with its value, a templated one must
 * be there. Single-entry-point apps tell pages apart by query alone (`/doku.php?do=login`).
 */
export function requestMatcher(method: string, urlTemplate: string): Matcher {
  const q = urlTemplate.indexOf('?');
  const noQuery = q < 0 ? urlTemplate : urlTemplate.slice(0, q);
  const query = q < 0 ? '' : urlTemplate.slice(q + 1).split('#')[0]!;
  const path = noQuery.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') || '/';
  const source = path
    .split(/(\{\{\s*[A-Za-z0-9_.$-]+\s*\}\})/)
    .map((part, i) => (i % 2 === 1 ? '[^/?#]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}/?$`);
  const params: Array<{ name: string; value?: string }> = [];
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decodePart(eq < 0 ? pair : pair.slice(0, eq));
    const raw = eq < 0 ? '' : pair.slice(eq + 1);
    params.push(/\{\{/.test(raw) ? { name } : { name, value: decodePart(raw) });
  }
  const m = method.toUpperCase();
  return (reqMethod, url) => {
    if (reqMethod.toUpperCase() !== m) return false;
    try {
      const u = new URL(url);
      if (!re.test(u.pathname)) return false;
      for (const p of params) {
        const got = u.searchParams.getAll(p.name);
        if (got.length === 0 || (p.value !== undefined && !got.includes(p.value))) return false;
      }
      return true;
    } catch {
      return false;
    }
  };
}
