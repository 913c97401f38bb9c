import { AppError, type Workflow } from '../core/index.js';
import type { BrowserLogin } from './browser-runner.js';
import { newJar } from './cookie-jar.js';
import { extract, ResponseView } from './extract.js';
import type { HttpStepRunner } from './http-run.js';
import { RunJar } from './run-jar.js';
import { setCookie } from './session-cookies.js';

/** A jar with the cookies page scripts set during the recording (no response sets them). */
export function recordedJar(wf: Workflow): RunJar {
  const jar = newJar();
  for (const c of wf.session?.jsCookies ?? []) if (c.value !== undefined) setCookie(jar, c.name, c.value, c.domain, c.path);
  return RunJar.of(jar);
}

/** The session cookies the recorded login set that `jar` lacks. */
export function missingSessionCookies(wf: Workflow, jar: RunJar): string[] {
  const wanted = wf.session?.cookies ?? [];
  if (!wanted.length) return [];
  const have = new Set(jar.names());
  return wanted.filter((c) => !have.has(c));
}

/** The jar a browser login left: its cookies, plus the recorded page-script cookies it did not set. */
export function jarOfLogin(wf: Workflow, login: BrowserLogin): RunJar {
  const jar = newJar();
  for (const c of login.cookies) setCookie(jar, c.name, c.value, c.domain, c.path, c);
  const have = new Set(login.cookies.map((c) => c.name));
  for (const c of wf.session?.jsCookies ?? []) if (!have.has(c.name) && c.value !== undefined) setCookie(jar, c.name, c.value, c.domain, c.path);
  return RunJar.of(jar);
}

/**
 * The tokens later steps need (`needed`), after a browser login: the safe steps that supply them
 * are run again over HTTP; the others are read from what the browser got (the step's response,
 * or the page the login ended on).
 */
export async function rereadTokens(runner: HttpStepRunner, wf: Workflow, needed: readonly string[], login: BrowserLogin): Promise<void> {
  const bySteps = new Map<string, string[]>();
  for (const name of needed) {
    const v = runner.scope.variable(name);
    if (v?.source.kind !== 'extract') continue;
    bySteps.set(v.source.step, [...(bySteps.get(v.source.step) ?? []), name]);
  }
  for (const [stepId, names] of bySteps) {
    const i = wf.steps.findIndex((s) => s.id === stepId);
    const step = wf.steps[i];
    if (step && !step.stateChanging) {
      await runner.run(i);
      continue;
    }
    const res = login.responses.get(stepId);
    const page = new ResponseView({ status: 200, headers: {}, url: login.url, body: Buffer.from(login.html, 'utf8'), contentType: 'text/html', locations: [], hopUrls: [], setCookies: new Map() });
    const views = res ? [new ResponseView(res), page] : [page];
    for (const name of names) {
      const v = runner.scope.variable(name)!;
      const ex = (v.source as { extractor: Parameters<typeof extract>[0] }).extractor;
      const value = views.map((view) => extract(ex, view, runner.jar)).find((x) => x !== undefined);
      if (value === undefined) throw new AppError('repair_failed', `After the browser login, ${name} could not be read again (${ex.type} of ${stepId})`);
      runner.scope.set(name, value);
    }
  }
}
