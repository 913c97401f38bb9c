import { stepHeaders, type Extractor, type Variable, type Workflow, type WorkflowInput } from '../core/index.js';
import { compilePatterns, type DetectContext } from './break-detector.js';
import { inputSpecs } from './run-inputs.js';
import { VariableScope } from './variable-scope.js';

/** What every run of a workflow derives from it, derived once per workflow object. */
export interface CompiledWorkflow {
  /** Normal form of the allowed origins. */
  origins: Set<string>;
  variables: Map<string, Variable>;
  /** Step id → the variables extracted from its response. */
  extractors: Map<string, Array<{ name: string; ex: Extractor }>>;
  patterns: RegExp[];
  /** Bootstrap steps up to the first state-changing one: they fetch the login form, a login page is their normal answer. */
  loginPageSteps: Set<string>;
  /** Break detection's context of each step, by step index. */
  detect: DetectContext[];
  /**
   * By step index: the origin its URL template starts with, written literally in normal form and
   * followed by the path (no placeholder before it); undefined otherwise. Lets a rendered URL be
   * split without parsing it (see plainPath).
   */
  urlOrigin: Array<string | undefined>;
  /** Variables the login extracts that are kept with the session (declared tokens and those later steps use). */
  tokens: string[];
  /** Of those, the ones later steps use: a session without them cannot be reused, a repair must get them again. */
  neededTokens: string[];
  /** Index of the last bootstrap step, -1 without one. */
  lastBootstrap: number;
  /** The declared inputs by name. */
  inputSpecs: Map<string, WorkflowInput>;
  /** The workflow's origins as the pre-run check needs them: the host to resolve, or why the origin is refused. */
  targets: Array<{ origin: string; hostname?: string; refused?: string }>;
  /** By step index: the step may be sent again when an earlier attempt's answer was lost (declared idempotent, or it carries an Idempotency-Key header). */
  idempotent: boolean[];
  /** Steps whose page a later step submits a form from (WorkflowStep.form): their answers are kept for the run. */
  formPages: Set<string>;
}

const cache = new WeakMap<Workflow, CompiledWorkflow>();

export function compileWorkflow(wf: Workflow): CompiledWorkflow {
  let c = cache.get(wf);
  if (c) return c;
  const extractors = new Map<string, Array<{ name: string; ex: Extractor }>>();
  for (const v of wf.variables) {
    if (v.source.kind !== 'extract') continue;
    const list = extractors.get(v.source.step) ?? [];
    list.push({ name: v.name, ex: v.source.extractor });
    extractors.set(v.source.step, list);
  }
  const loginPageSteps = new Set<string>();
  for (const s of wf.steps) {
    if (!s.bootstrap) continue;
    if (s.stateChanging) break;
    loginPageSteps.add(s.id);
  }
  c = {
    origins: new Set((wf.origins ?? []).map(originOf)),
    variables: new Map(wf.variables.map((v) => [v.name, v])),
    extractors,
    patterns: compilePatterns(wf.session),
    loginPageSteps,
    detect: wf.steps.map((s) => ({ session: wf.session ?? null, expectsLoginPage: loginPageSteps.has(s.id) })),
    urlOrigin: wf.steps.map((s) => literalOrigin(s.request.url)),
    ...sessionTokens(wf),
    lastBootstrap: wf.steps.reduce((acc, s, i) => (s.bootstrap ? i : acc), -1),
    inputSpecs: inputSpecs(wf),
    targets: (wf.origins ?? []).map(target),
    formPages: new Set(wf.steps.flatMap((s) => (s.form ? [s.form.page] : []))),
    idempotent: wf.steps.map((s) => s.idempotent === true || stepHeaders(wf.headers, s.request.headers).some((h) => h.name.toLowerCase() === 'idempotency-key')),
  };
  cache.set(wf, c);
  return c;
}

const LEADING_ORIGIN = /^https?:\/\/[^/?#{}\\@]+(?=\/)/;

/** The origin a URL template starts with, when written literally in normal form and followed by '/'. */
function literalOrigin(template: string): string | undefined {
  const m = LEADING_ORIGIN.exec(template);
  return m && originOf(m[0]) === m[0] ? m[0] : undefined;
}

/**
 * The path and query of `url` after `origin` (its first `origin.length` characters), when URL
 * parsing would leave them exactly as written: only characters it keeps, no dot segments (plain
 * or percent-encoded), no fragment. Undefined otherwise (then the URL is parsed).
 */
export function plainPath(url: string, origin: string): string | undefined {
  if (!url.startsWith(origin) || url.charCodeAt(origin.length) !== 47 /* / */) return undefined;
  const path = url.slice(origin.length);
  if (!PLAIN_PATH.test(path) || DOT_SEGMENT.test(path)) return undefined;
  return path;
}

// Unreserved, sub-delims but ', and : @ / ? %: what the WHATWG URL parser copies unchanged into path and query.
const PLAIN_PATH = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;
const DOT_SEGMENT = /\/(\.|%2e){1,2}(\/|\?|$)|%2e/i;

function target(o: string): { origin: string; hostname?: string; refused?: string } {
  let u: URL;
  try {
    u = new URL(o);
  } catch {
    return { origin: o, refused: `Origin ${o} is not a URL` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { origin: o, refused: `Origin ${o} is not http or https` };
  return { origin: o, hostname: u.hostname };
}

/** The normal form of an origin as URL#origin writes it (default port dropped, lower case). */
export function originOf(o: string): string {
  try {
    return new URL(o).origin;
  } catch {
    return o;
  }
}

/** Variables the bootstrap extracts that non-bootstrap steps use (needed), plus the declared tokens. */
export function sessionTokens(wf: Workflow): { tokens: string[]; neededTokens: string[] } {
  const bootstrapIds = new Set(wf.steps.filter((s) => s.bootstrap).map((s) => s.id));
  const fromBootstrap = new Set(wf.variables.filter((v) => v.source.kind === 'extract' && bootstrapIds.has(v.source.step)).map((v) => v.name));
  const used = new Set<string>();
  for (const s of wf.steps) {
    if (s.bootstrap) continue;
    const r = s.request;
    const texts = [r.url, ...stepHeaders(wf.headers, r.headers).map((h) => h.value)];
    if (r.body?.kind === 'json') texts.push(JSON.stringify(r.body.template));
    else if (r.body?.kind === 'form' || r.body?.kind === 'multipart') texts.push(...r.body.fields.map((f) => f.value));
    else if (r.body?.kind === 'text') texts.push(r.body.template);
    for (const t of texts) for (const n of VariableScope.names(t)) used.add(n);
  }
  const needed = [...used].filter((n) => fromBootstrap.has(n));
  const out = new Set((wf.session?.tokens ?? []).filter((t) => fromBootstrap.has(t)));
  for (const n of needed) out.add(n);
  return { tokens: [...out], neededTokens: needed };
}
