import type { Workflow } from '../core/index.js';

/** How many leading actions make up the login: through the submit after the last secret typed, plus the waits that follow. */
export function loginActionCount(wf: Workflow): number {
  const actions = wf.actions;
  const secretInputs = new Set(wf.inputs.filter((i) => i.secret).map((i) => i.name));
  let last = -1;
  actions.forEach((a, i) => {
    if (a.secret || (a.input && secretInputs.has(a.input))) last = i;
  });
  if (last < 0 && wf.session?.loginUrl) {
    const loginPath = pathOf(wf.session.loginUrl);
    actions.forEach((a, i) => {
      if ((a.type === 'fill' || a.type === 'select') && a.pageUrl && pathOf(a.pageUrl) === loginPath) last = i;
    });
  }
  if (last < 0) return 0;
  let end = last;
  if (actions[last]!.type !== 'press') {
    const submit = actions.findIndex((a, i) => i > last && (a.type === 'click' || a.type === 'press'));
    if (submit < 0) return 0;
    end = submit;
  }
  while (actions[end + 1]?.type === 'waitFor') end++;
  return end + 1;
}

function pathOf(u: string): string | undefined {
  try {
    return new URL(u).pathname.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}
