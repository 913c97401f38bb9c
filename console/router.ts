/** Hash routing: #/workflows, #/workflows/<id>, #/runs, #/record, #/record/<id>, #/sign-in. */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'workflows' }
  | { page: 'workflow'; id: string; step?: string }
  | { page: 'runs' }
  | { page: 'record' }
  | { page: 'recording'; id: string }
  | { page: 'sign-in' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'workflows' && parts[1]) return { page: 'workflow', id: parts[1] };
  if (parts[0] === 'runs') return { page: 'runs' };
  if (parts[0] === 'record') return parts[1] ? { page: 'recording', id: parts[1] } : { page: 'record' };
  if (parts[0] === 'sign-in') return { page: 'sign-in' };
  return { page: 'workflows' };
}

export const hrefOf = {
  workflows: () => '#/workflows',
  workflow: (id: string) => `#/workflows/${encodeURIComponent(id)}`,
  runs: () => '#/runs',
  record: () => '#/record',
  recording: (id: string) => `#/record/${encodeURIComponent(id)}`,
  signIn: () => '#/sign-in',
};

export function go(href: string): void {
  if (location.hash !== href) location.hash = href;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
