import type { Action } from '../core/index.js';

const MAX = 200;

/**
 * A browser-mode run step's readable label: `click role=button[name="Save"]`,
 * `fill input[name=password] [password]`. What was typed or chosen for an input shows as
 * `[input name]`, and a fill's literal text is left out too (it may be anything the person typed);
 * a goto shows origin and path only (a query may carry tokens).
 */
export function actionLabel(a: Action): string {
  const sel = a.selector ? ` ${cut(a.selector)}` : '';
  switch (a.type) {
    case 'goto':
    case 'waitFor':
      return a.url ? `${a.type} ${cut(pathOnly(a.url))}` : `${a.type}${sel}`;
    case 'fill':
      return `fill${sel}${a.input ? ` [${a.input}]` : ''}`;
    case 'select':
      return `select${sel}${a.input ? ` [${a.input}]` : a.value !== undefined && !a.secret ? ` ${cut(JSON.stringify(a.value))}` : ''}`;
    case 'press':
      return `press${sel}${a.key ? ` ${cut(a.key)}` : ''}`;
    default:
      return `${a.type}${sel}`;
  }
}

function pathOnly(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    // A template or a relative URL: cut at the query all the same.
    return url.split(/[?#]/)[0]!;
  }
}

function cut(s: string): string {
  return s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s;
}
