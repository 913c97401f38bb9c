import { readHtml, type WorkflowStep } from '../../core/index.js';

/**
 * Marks each form submit (a form or multipart body) with the page it was submitted from and that
 * page's field names as recorded (WorkflowStep.form): the latest earlier step whose HTML answer
 * has at least half of the fields the submit sends. The replayer compares them with the page it
 * gets when the submit fails: a changed form is drift (a renamed field, a new required hidden
 * field), not a broken session. `pageText` gives a step's recorded answer (HTML only).
 */
export function markFormPages(steps: WorkflowStep[], pageText: (stepIndex: number) => string | undefined): void {
  const pages = new Map<number, string[]>();
  const fieldsOf = (j: number): string[] => {
    let f = pages.get(j);
    if (!f) {
      const text = pageText(j);
      pages.set(j, (f = text ? [...readHtml(text).fields.keys()] : []));
    }
    return f;
  };
  steps.forEach((step, i) => {
    const body = step.request.body;
    if (body?.kind !== 'form' && body?.kind !== 'multipart') return;
    const sent = [...new Set(body.fields.map((f) => f.name))];
    if (!sent.length) return;
    for (let j = i - 1; j >= 0; j--) {
      const fields = fieldsOf(j);
      if (fields.length && sent.filter((n) => fields.includes(n)).length * 2 >= sent.length) {
        step.form = { page: steps[j]!.id, fields };
        return;
      }
    }
  });
}
