import type { Extractor } from '../../core/index.js';
import type { Chain } from './chains.js';
import type { Slot } from './request-model.js';

/**
 * `POST /login`, or `POST /login → /app` when redirects were collapsed into the step. With the
 * step's URL template, dynamic path segments show as their variables (`GET /api/items/{{id}}`),
 * not as the ids of the recording.
 */
export function chainLabel(c: Chain, urlTemplate?: string): string {
  const recorded = c.head.url?.pathname ?? c.head.rawUrl;
  const templated = urlTemplate?.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split('?')[0];
  const path = templated || recorded;
  const final = c.hops.length && c.final.url && c.final.url.pathname !== recorded ? ` → ${c.final.url.pathname}` : '';
  return `${c.head.method} ${path}${final}`;
}

export function slotPhrase(s: Slot): string {
  switch (s.where) {
    case 'path':
      return `path segment ${s.key}`;
    case 'query':
      return `query parameter ${s.key}`;
    case 'header':
      return `header ${s.key}`;
    case 'json':
      return `JSON field ${s.key}`;
    case 'form':
      return `form field ${s.key}`;
    case 'multipart':
      return `multipart field ${s.key}`;
  }
}

/** The name a value has at its source (`csrf-token` for a meta tag), for naming variables. */
export function extractorName(e: Extractor): string | undefined {
  switch (e.type) {
    case 'json': {
      const m = /(?:\.([A-Za-z_$][\w$]*)|\["((?:[^"\\]|\\.)*)"\])(?:\[\d+\])*$/.exec(e.path);
      return m?.[1] ?? m?.[2];
    }
    case 'header':
    case 'set_cookie':
    case 'html_input':
    case 'html_meta':
      return e.name;
    case 'regex':
      return /^"((?:[^"\\]|\\.)+)"/.exec(e.pattern)?.[1]?.replace(/\\(.)/g, '$1');
    case 'location':
    case 'url':
      return e.param;
  }
}

export function extractorPhrase(e: Extractor): string {
  switch (e.type) {
    case 'json':
      return `JSON ${e.path}`;
    case 'header':
      return `header ${e.name}`;
    case 'set_cookie':
      return `Set-Cookie ${e.name}`;
    case 'html_input':
      return `input[name=${e.name}]`;
    case 'html_meta':
      return `meta[name=${e.name}]`;
    case 'regex':
      return `inline script ${extractorName(e) ? `"${extractorName(e)}"` : `/${e.pattern}/`}`;
    case 'location':
    case 'url': {
      const what = e.type === 'location' ? 'redirect Location' : 'URL';
      if (e.param !== undefined) return `parameter ${e.param} of the ${what}`;
      if (e.segment !== undefined) return `path segment ${e.segment} of the ${what}`;
      return `the ${what}`;
    }
  }
}
