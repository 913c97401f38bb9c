import type { WorkflowStep } from '../core/index.js';
import { outputShapeDrift } from './break-detector.js';
import type { ResponseView } from './extract.js';
import { StepFailure } from './step-failure.js';

/**
 * The form a step submits changed on the page it comes from (WorkflowStep.form): fields the
 * recorded page had are gone (renamed), or the page has fields it did not have (a new required
 * hidden field). Only asked once the submit failed: then the change, not the session, is why.
 */
export class FormChanged extends StepFailure {}

/** The change between the recorded form and the page this run got, in words; undefined when alike (or the page is unknown). */
export function formChange(step: WorkflowStep, page: ResponseView | undefined): string | undefined {
  const form = step.form;
  if (!form || page === undefined) return undefined;
  const now = [...page.html.fields.keys()];
  const added = now.filter((n) => !form.fields.includes(n));
  const gone = form.fields.filter((n) => !now.includes(n));
  if (!added.length && !gone.length) return undefined;
  const parts = [added.length ? `new field${added.length > 1 ? 's' : ''} ${added.join(', ')}` : '', gone.length ? `no field${gone.length > 1 ? 's' : ''} ${gone.join(', ')} any more` : ''].filter(Boolean);
  return `the form ${step.id} (${step.description}) submits changed on the page of step ${form.page}: ${parts.join('; ')}`;
}

/**
 * Drift a step's answer shows beyond its verdict, or undefined:
 * - a submit that failed (`failed`) whose form changed on its page (FormChanged);
 * - the output answered JSON without fields its recorded answer had, while nothing
 *   state-changing was sent (`sentAny` false: the browser may then run it all and heal it); after
 *   that the run stands on its outcome check (failing it would invite the effect again) and the
 *   change is said as a warning (`warn`).
 */
export function stepDrift(step: WorkflowStep, i: number, v: ResponseView, o: { failed: boolean; isOutput: boolean; sentAny: boolean; page: (id: string) => ResponseView | undefined; warn: (w: string) => void }): StepFailure | undefined {
  if (o.failed) {
    const changed = step.form ? formChange(step, o.page(step.form.page)) : undefined;
    return changed ? new FormChanged('site_changed', changed, 'drift', i, [{ path: `steps.${step.id}.form`, message: changed }]) : undefined;
  }
  if (!o.isOutput || !v.isJsonType || !v.json.ok) return undefined;
  const gone = outputShapeDrift(step, v.json.value);
  if (!gone) return undefined;
  if (!o.sentAny) return new StepFailure('site_changed', gone.reason, 'drift', i, gone.details);
  o.warn(`${gone.reason} (the site had accepted a state-changing step: the run stands on its outcome check)`);
  return undefined;
}
