import { AppError, isSecretName, newId, REDACTED, WORKFLOW_SCHEMA_VERSION, withCommonHeaders } from '../../core/index.js';
import type { Action, HARFile, Workflow, WorkflowStep } from '../../core/index.js';
import { linkChains, STATE_CHANGING, type Analysis } from './analysis.js';
import { Catalogue, type TypedInput } from './catalogue.js';
import { buildChains, type Chain } from './chains.js';
import { chainLabel } from './describe.js';
import { readExchanges } from './exchange.js';
import { expectationOf, outputSchemaOf } from './expect.js';
import { markFormPages } from './form-page.js';
import { outcomeOf } from './outcome.js';
import { hardNoise, serviceWorkerDuplicates, siteOf, softNoise } from './noise.js';
import { readRequest, slotsOf } from './request-model.js';
import { resolveSlot, type ResolveContext } from './resolve.js';
import { select } from './select.js';
import { findTarget, namesTarget, type TargetSpec } from './target.js';
import { sessionSpec } from './session.js';
import { SourceIndex } from './source-index.js';
import { renderRequest } from './template.js';

export interface LearnOptions {
  /** The recorded action log; typed values (actions with `input`) become the first inputs. Default: none. */
  actions?: Action[];
  /** Workflow name. Default: derived from the target step and its host. */
  name?: string;
  /** Recording the workflow was learned from. Default: none. */
  recordingId?: string;
  /** Seals a secret's recorded value (core SecretBox#seal). Required. */
  sealSecret: (plain: string) => string;
  /** Clock for createdAt/updatedAt. Default: `new Date()`. */
  now?: () => Date;
  /** Workflow id. Default: a fresh `wf_…` id. */
  id?: string;
  /** The step whose response is the output: the last request matching method and URL substring. Default: the last request that changes state or returns data. */
  target?: TargetSpec;
}

function typedInputs(actions: Action[]): TypedInput[] {
  const out = new Map<string, TypedInput>();
  let current: string | undefined;
  for (const a of actions) {
    if (a.type === 'goto' && a.url) current = a.url;
    // A click or key press may navigate: the page is known again only at the next goto.
    else if (a.type === 'click' || a.type === 'press') current = undefined;
    if (!a.input || a.value === undefined || a.value === '') continue;
    let page = '';
    try {
      page = a.pageUrl || current ? ` on ${new URL((a.pageUrl || current)!).pathname}` : '';
    } catch {
      page = '';
    }
    const secret = a.secret === true || isSecretName(a.input) || out.get(a.input)?.secret === true;
    out.set(a.input, { input: a.input, value: a.value, secret, selector: a.selector, description: `typed into ${a.selector ?? 'the page'}${page}` });
  }
  return [...out.values()];
}

/** Where the site lives: the first page navigated to (or the target's), else the busiest site. */
function mainSites(chains: Chain[], hard: Analysis['hard'], target?: TargetSpec): Set<string> {
  const out = new Set<string>();
  const doc = chains.find((c) => !hard[c.pos] && c.head.method === 'GET' && (c.head.resourceType === 'document' || c.final.mime.includes('html')) && c.final.status < 400);
  if (doc) out.add(siteOf(doc.head.url!));
  if (namesTarget(target)) {
    const t = findTarget(chains, target);
    if (t !== undefined) out.add(siteOf(chains[t]!.head.url!));
  }
  if (out.size === 0) {
    const count = new Map<string, number>();
    for (const c of chains) if (!hard[c.pos]) count.set(siteOf(c.head.url!), (count.get(siteOf(c.head.url!)) ?? 0) + 1);
    let best: string | undefined;
    for (const [s, n] of count) if (best === undefined || n > count.get(best)!) best = s;
    if (best) out.add(best);
  }
  return out;
}

/**
 * Turns a raw HAR (secrets still in it) and its action log into a workflow: the requests that
 * matter, every value traced to where it comes from. Pure and deterministic apart from `id` and
 * the timestamps, which `opts` can pin.
 */
export function learn(har: HARFile, opts: LearnOptions): Workflow {
  if (typeof opts?.sealSecret !== 'function') throw new AppError('invalid_request', 'learn() needs opts.sealSecret to seal secret defaults');
  if (!Array.isArray((har as { log?: { entries?: unknown } } | undefined)?.log?.entries)) throw new AppError('invalid_har', 'Not a HAR: log.entries is missing', { details: [{ path: 'log.entries', message: 'must be an array' }] });
  const chains = buildChains(readExchanges(har));
  const sw = serviceWorkerDuplicates(chains);
  const hard = chains.map((c) => hardNoise(c, sw));
  // A target the caller names is wanted even if it looks like noise.
  const early: string[] = [];
  const named = namesTarget(opts.target) ? findTarget(chains, opts.target) : undefined;
  if (named !== undefined) hard[named] = null;
  else if (!hard.some((h) => h === null)) {
    // Everything looks like noise (a lone beacon, a websocket): keep the last answered request.
    const last = findTarget(chains, {});
    if (last !== undefined) {
      early.push(`every request looked like noise (${hard[last]}); the last completed one was kept as the target`);
      hard[last] = null;
    }
  }
  const soft = softNoise(chains, hard, mainSites(chains, hard, opts.target));
  const typed = typedInputs(opts.actions ?? []);
  const index = new SourceIndex();
  const ctx: ResolveContext = { typed, hasActions: (opts.actions?.length ?? 0) > 0, navigated: navigatedValues(opts.actions ?? []) };
  const models: Analysis['models'] = [];
  const slots: Analysis['slots'] = [];
  for (const c of chains) {
    const model = hard[c.pos] ? undefined : readRequest(c.head);
    models.push(model);
    const s = model ? slotsOf(model) : [];
    for (const slot of s) slot.res = resolveSlot(slot, c.pos, c.head.startedMs, ctx, index);
    slots.push(s);
    // Indexed after its own request is resolved: a request never takes a value from its own response.
    if (!hard[c.pos]) index.addChain(c);
  }
  const a: Analysis = { chains, hard, soft, models, slots, ...linkChains({ chains, hard, soft, slots }) };
  const sel = select(a, typed, opts.target);
  const notes = [...early, ...sel.notes];

  const stepIds = new Map<number, string>();
  sel.kept.forEach((p, i) => stepIds.set(p, `s${i + 1}`));
  const cat = new Catalogue(typed, opts.sealSecret, stepIds, chains, sel.bootstrap);
  const textSecrets = typed.filter((t) => t.secret || t.value.length >= 4);
  const steps: WorkflowStep[] = sel.kept.map((p) => {
    const c = chains[p]!;
    const id = stepIds.get(p)!;
    // Kept chains are never hard noise (a named or fallback target was cleared above), so each has a model.
    const model = models[p]!;
    const used = model.body?.kind === 'text' ? textSecrets.filter((t) => (model.body as { text: string }).text.includes(t.value)) : [];
    for (const t of used) cat.inputVar(t.input, `body text of ${id} ← typed input ${t.input}`);
    const request = renderRequest(model, (s) => cat.parts(s, id), used);
    return {
      id,
      description: chainLabel(c, request.url),
      request,
      redirects: c.hops.length,
      stateChanging: STATE_CHANGING.has(c.head.method),
      bootstrap: sel.bootstrap.has(p),
      expect: expectationOf(c),
    };
  });

  markFormPages(steps, (i) => {
    const f = chains[sel.kept[i]!]!.final;
    return f.mime.includes('html') ? f.body : undefined;
  });
  const variables = cat.variables();
  const inputs = cat.workflowInputs();
  const usedInputs = new Set(variables.flatMap((v) => (v.source.kind === 'input' ? [v.source.input] : [])));
  const outStep = steps[sel.kept.indexOf(sel.target)]!;
  const shows = outcomeOf(chains[sel.target]!, inputs, usedInputs);
  if (shows) outStep.expect.shows = shows;
  const session = sessionSpec(a, sel, stepIds, [...new Set(cat.tokenVars)]);
  notes.push(...traceNotes(a, sel.kept, cat, typed, session));
  // cookie values are secrets: only the sealed form leaves the learner
  if (session) session.jsCookies = session.jsCookies.map(({ value, ...c }) => ({ ...c, ...(value !== undefined ? { valueSealed: opts.sealSecret(value) } : {}) }));

  const dropped: Record<string, number> = {};
  const keptSet = new Set(sel.kept);
  for (const c of chains) {
    const reason = keptSet.has(c.pos) ? null : hard[c.pos] ?? soft[c.pos] ?? 'unneeded';
    if (reason) dropped[reason] = (dropped[reason] ?? 0) + 1 + c.hops.length;
    else if (c.hops.length) dropped.merged_redirect = (dropped.merged_redirect ?? 0) + c.hops.length;
  }
  const origins = new Set<string>();
  for (const p of sel.kept) for (const ex of [chains[p]!.head, ...chains[p]!.hops]) if (ex.url) origins.add(ex.url.origin);
  const target = chains[sel.target]!;
  const secretInputs = new Set(inputs.filter((i) => i.secret).map((i) => i.name));
  const actions = (opts.actions ?? []).map((x) => (x.value !== undefined && (x.secret || (x.input && secretInputs.has(x.input))) ? { ...x, value: REDACTED } : { ...x }));
  const startUrl = actions.find((x) => x.type === 'goto' && x.url)?.url ?? (steps[0] ? originPath(chains[sel.kept[0]!]!) : undefined);
  const now = (opts.now ?? (() => new Date()))().toISOString();
  const outputSchema = outputSchemaOf(target);
  return withCommonHeaders({
    id: opts.id ?? newId('wf'),
    name: opts.name ?? `${chainLabel(target)} on ${target.head.url?.host ?? 'unknown host'}`,
    schemaVersion: WORKFLOW_SCHEMA_VERSION,
    ...(opts.recordingId ? { recordingId: opts.recordingId } : {}),
    createdAt: now,
    updatedAt: now,
    origins: [...origins].sort(),
    steps,
    variables,
    inputs,
    session,
    output: { step: stepIds.get(sel.target)! },
    ...(outputSchema ? { outputSchema } : {}),
    actions,
    ...(startUrl ? { startUrl } : {}),
    notes,
    stats: { entries: readCount(har), kept: steps.length, dropped },
  });
}

/** Query values and path segments of the URLs the person navigated to: what they chose in the address bar. */
function navigatedValues(actions: Action[]): Set<string> {
  const out = new Set<string>();
  for (const a of actions) {
    if (a.type !== 'goto' || !a.url) continue;
    try {
      const u = new URL(a.url);
      // A route (`route=/table/change`) names the app's page, not the person's choice.
      u.searchParams.forEach((v) => {
        if (!v.startsWith('/')) out.add(v);
      });
      for (const seg of u.pathname.split('/')) if (seg) out.add(decodeURIComponent(seg));
    } catch {
      /* a URL that does not parse navigated nowhere */
    }
  }
  return out;
}

function originPath(c: Chain): string | undefined {
  return c.head.url ? c.head.url.origin + c.head.url.pathname : undefined;
}

function readCount(har: HARFile): number {
  const entries = (har as { log?: { entries?: unknown } })?.log?.entries;
  return Array.isArray(entries) ? entries.length : 0;
}

/** What could not be traced, in plain words. */
function traceNotes(a: Analysis, kept: number[], cat: Catalogue, typed: TypedInput[], session: Workflow['session']): string[] {
  const notes: string[] = [];
  const noBody = kept.filter((p) => {
    const f = a.chains[p]!.final;
    return f.body === undefined && f.status >= 200 && f.status < 300 && f.status !== 204;
  }).length;
  const free = cat.workflowInputs().filter((i) => i.origin === 'request').length;
  if (noBody > 0) notes.push(`response bodies missing in this HAR for ${noBody} kept step(s): ${free} value(s) could not be traced and became inputs`);
  for (const u of cat.untraced) {
    const js = session?.jsCookies.find((c) => c.value === u.value || `"${c.value}"` === u.value);
    notes.push(
      js
        ? `${u.phrase} carries the value of cookie ${js.name}, which no response set (page script or an earlier visit did); it became the secret input ${u.name}`
        : `${u.phrase} could not be traced to any earlier response; it became the secret input ${u.name} (recorded value sealed)`,
    );
  }
  const usedInputs = new Set(cat.variables().filter((v) => v.source.kind === 'input').map((v) => (v.source as { input: string }).input));
  for (const r of cat.redacted) notes.push(`${r.phrase} was redacted in this HAR (a placeholder, not a value); it became the required secret input ${r.name}`);
  if (session?.bootstrapSteps.length && !a.chains.some((c) => [c.head, ...c.hops].some((ex) => ex.setCookies.length > 0 || ex.reqCookies.length > 0))) {
    notes.push(`this HAR carries no cookies (a sanitized export strips Cookie and Set-Cookie): the session is expected to come from the login (${session.bootstrapSteps.join(', ')}) when it runs`);
  }
  for (const t of typed) if (!usedInputs.has(t.input)) notes.push(`typed input ${t.input} was not found in any kept request (the page may transform it); it is still replayed in browser mode`);
  if (session?.jsCookies.length) notes.push(`cookies set by page script (no response set them): ${session.jsCookies.map((c) => c.name).join(', ')}`);
  return notes;
}
