import { counter, describeChanges, migrateWorkflow, versionOf, withSettingsOf, WorkflowVersions, type Logger, type RedisStore, type Registry, type SecretBox, type Workflow, type WorkflowEvent } from '../core/index.js';
import type { LearnOptions, TargetSpec } from '../recorder/index.js';
import type { DriftEvidence, Replayer } from '../replayer/index.js';
import { saveNextVersion } from './workflow-save.js';

export interface WorkflowHealerOptions {
  store: RedisStore;
  secretBox: SecretBox;
  logger: Logger;
  registry: Registry;
  /** Runs the candidate's read-only steps over HTTP to verify it. */
  replayer: Pick<Replayer, 'run'>;
  clock: () => number;
  /** The learner, loaded when first needed (a worker that never heals never loads the recorder). */
  learner: () => Promise<(har: DriftEvidence['har'], opts: LearnOptions) => Workflow>;
  /** Where workflow events go (beside the run events: GET /v1/runs/events `event: workflow`). */
  publish?: (e: WorkflowEvent) => Promise<unknown>;
  /** Workflow events also go to the workflow's own webhook (Workflow.notify), signed with `secret`, to addresses `guard` allows. */
  webhook?: { secret?: string; guard: (url: URL) => Promise<void>; deliver: (o: { url: string; body: string; secret?: string; logger: Logger }) => Promise<{ status?: number; error?: string }> };
}

/** A version's start of falling back is told once a week at most. */
const FALLING_BACK_TTL_S = 7 * 86_400;

type Outcome = 'promoted' | 'proposed' | 'rejected';

/**
 * Heals workflows whose site changed: a drifted run the browser got through hands over its traffic
 * (Replayer onDrift); the learner turns it into a candidate version with the recorded actions
 * (so typed values keep their input names); the candidate is verified over HTTP by running its
 * read-only steps (logins and reads, up to the first step that changes state) in a session of its
 * own, so nothing is done twice; its state-changing steps are the very requests the browser sent
 * and the site accepted. Then the workflow's policy decides: `auto` promotes it (unless it would
 * drop an input callers send), `propose` (the default) keeps it for a person
 * (POST /v1/workflows/:id/candidate/promote), `off` learns nothing. One heal per workflow at a time.
 */
export class WorkflowHealer {
  private readonly versions: WorkflowVersions;
  private readonly busy = new Set<string>();
  private readonly log: Logger;
  private readonly heals;

  constructor(private readonly o: WorkflowHealerOptions) {
    this.versions = new WorkflowVersions(o.store);
    this.log = o.logger.child({ module: 'healer' });
    this.heals = counter(o.registry, { name: 'replayfarm_heals_total', help: 'Heals of drifted workflows by outcome (promoted, proposed, rejected) and reason', labelNames: ['outcome', 'reason'] as const });
  }

  /** For ReplayerOptions.onDrift. */
  readonly onDrift = (e: DriftEvidence): void => {
    void this.fallingBack(e)
      .then(() => this.heal(e))
      .catch((err: Error) => {
        this.count('rejected', 'error');
        this.log.warn('heal failed', { workflowId: e.workflow.id, error: err.message });
        this.tell(e, 'heal_rejected', versionOf(e.workflow), `the heal failed: ${err.message}`);
      });
  };

  /** The first drift fallback of a workflow version is an event (the run events stream carries it). */
  private async fallingBack(e: DriftEvidence): Promise<void> {
    const version = versionOf(e.workflow);
    if (await this.versions.firstFallback(e.workflow.id, version, FALLING_BACK_TTL_S)) this.tell(e, 'falling_back', version, e.reason);
  }

  private tell(e: DriftEvidence, event: WorkflowEvent['event'], version: number, reason: string, changes?: string[]): void {
    const ev: WorkflowEvent = { kind: 'workflow', event, workflowId: e.workflow.id, version, ...(e.runId ? { runId: e.runId } : {}), ...(e.step ? { step: e.step } : {}), reason, ...(changes ? { changes } : {}), at: new Date(this.o.clock()).toISOString() };
    this.o.publish?.(ev).catch((err: Error) => this.log.debug('workflow event not published', { error: err.message }));
    const url = e.workflow.notify?.webhook;
    const hook = this.o.webhook;
    if (url && hook) void this.callWebhook(hook, url, ev);
  }

  private async callWebhook(hook: NonNullable<WorkflowHealerOptions['webhook']>, url: string, ev: WorkflowEvent): Promise<void> {
    try {
      await hook.guard(new URL(url));
      const out = await hook.deliver({ url, body: JSON.stringify(ev), secret: hook.secret, logger: this.log });
      if (out.error) this.log.warn('workflow event webhook failed', { workflowId: ev.workflowId, event: ev.event, status: out.status, error: out.error });
    } catch (err) {
      this.log.warn('workflow event webhook refused', { workflowId: ev.workflowId, event: ev.event, error: (err as Error).message });
    }
  }

  async heal(e: DriftEvidence): Promise<Outcome> {
    const id = e.workflow.id;
    if (this.busy.has(id)) return this.count('rejected', 'busy');
    this.busy.add(id);
    try {
      return await this.healOnce(e);
    } finally {
      this.busy.delete(id);
    }
  }

  private async healOnce(e: DriftEvidence): Promise<Outcome> {
    const stored = await this.o.store.get<Workflow>('workflow', e.workflow.id);
    if (!stored) return this.count('rejected', 'deleted');
    const current = migrateWorkflow(stored);
    if (versionOf(current) !== versionOf(e.workflow)) return this.count('rejected', 'stale');
    const policy = current.heal ?? 'propose';
    if (policy === 'off') return this.count('rejected', 'off');
    const candidate = this.learnFrom(e, current, await this.o.learner());
    if (!candidate) {
      this.tell(e, 'heal_rejected', versionOf(current), 'nothing could be learned from the browser run');
      return this.count('rejected', 'learn_failed');
    }
    const changes = describeChanges(current, candidate);
    if (!changes.length) return this.count('rejected', 'no_change');
    const verified = await this.verify(candidate);
    if (!verified.ok) {
      this.log.warn('healed candidate failed its verification', { workflowId: current.id, reason: verified.why });
      this.tell(e, 'heal_rejected', versionOf(current), `the healed candidate failed its verification: ${verified.why}`, changes);
      return this.count('rejected', 'unverified');
    }
    // An input the current version sends somewhere must still be sent somewhere by the candidate:
    // one kept by name but fed into no request would be ignored by every run (a silent wrong answer).
    const feeds = (wf: Workflow, name: string) => wf.variables.some((v) => v.source.kind === 'input' && v.source.input === name);
    const lostInputs = current.inputs.filter((i) => !candidate.inputs.some((c) => c.name === i.name) || (feeds(current, i.name) && !feeds(candidate, i.name))).map((i) => i.name);
    const proposal = { basedOn: versionOf(current), proposedAt: new Date(this.o.clock()).toISOString(), reason: e.reason, runId: e.runId, verified: verified.why, changes, lostInputs, workflow: candidate };
    if (policy === 'auto' && lostInputs.length === 0) {
      const saved = await saveNextVersion(this.o.store, this.versions, current, candidate, 'healed', `healed after: ${e.reason}`);
      await this.versions.dropCandidate(current.id);
      this.log.info('workflow healed', { workflowId: current.id, version: versionOf(saved), changes });
      this.tell(e, 'healed', versionOf(saved), `healed after: ${e.reason}`, changes);
      return this.count('promoted', 'verified');
    }
    await this.versions.propose(proposal);
    this.log.warn('a healed version is proposed: promote it with POST /v1/workflows/:id/candidate/promote', { workflowId: current.id, changes, lostInputs });
    this.tell(e, 'candidate_proposed', versionOf(current), lostInputs.length ? `it would lose input(s) ${lostInputs.join(', ')}: promote it with POST /v1/workflows/${current.id}/candidate/promote` : `heal policy propose: promote it with POST /v1/workflows/${current.id}/candidate/promote`, changes);
    return this.count('proposed', lostInputs.length ? 'inputs_lost' : 'policy');
  }

  /** The browser run's traffic learned with the recorded actions, the output found like the current one's; undefined when nothing could be learned. */
  private learnFrom(e: DriftEvidence, current: Workflow, learn: (har: DriftEvidence['har'], opts: LearnOptions) => Workflow): Workflow | undefined {
    const out = current.steps.find((s) => s.id === current.output.step);
    const targets: Array<TargetSpec | undefined> = [out ? outputTarget(out.request.method, out.request.url) : undefined, undefined];
    for (const target of targets) {
      try {
        const wf = learn(e.har, { actions: e.actions, recordingId: current.recordingId, name: current.name, id: current.id, target, sealSecret: (p) => this.o.secretBox.seal(p) });
        // Learned from what this run typed: the recorded actions and the inputs' recorded defaults
        // (and descriptions) stay what callers know; the values typed are not kept.
        const inputs = wf.inputs.map((i) => {
          const was = current.inputs.find((c) => c.name === i.name);
          return was ? { ...i, default: was.default, defaultSealed: was.defaultSealed, required: was.required, description: was.description } : i;
        });
        return withSettingsOf(current, { ...wf, inputs, actions: current.actions, createdAt: current.createdAt });
      } catch {
        // this target matched nothing: the learner's own choice next
      }
    }
    return undefined;
  }

  /** Runs the candidate's steps up to its first state-changing one over HTTP, in a session of its own. */
  private async verify(wf: Workflow): Promise<{ ok: boolean; why: string }> {
    const first = wf.steps.findIndex((s) => s.stateChanging && !s.bootstrap);
    const prefix = first === -1 ? wf.steps : wf.steps.slice(0, first);
    if (!prefix.length) return { ok: true, why: 'no read-only step to run: its requests are the ones the browser sent and the site accepted' };
    const reads: Workflow = { ...wf, steps: prefix, output: { step: prefix[prefix.length - 1]!.id } };
    const r = await this.o.replayer.run(reads, { mode: 'http', session: 'heal-verify', journal: false });
    if (r.status !== 'succeeded') return { ok: false, why: `${r.error?.code}: ${r.error?.message}` };
    return { ok: true, why: `its ${prefix.length} read-only step(s) ran over HTTP (${prefix.map((s) => s.id).join(', ')}); its state-changing steps are the requests the browser sent and the site accepted` };
  }

  private count(outcome: Outcome, reason: string): Outcome {
    this.heals.inc({ outcome, reason });
    return outcome;
  }
}

/** A target for the learner like the output step: its method and the path of its URL up to the first template. */
function outputTarget(method: string, urlTemplate: string): TargetSpec {
  const head = urlTemplate.split('{{')[0]!;
  try {
    return { method, urlIncludes: new URL(head).pathname };
  } catch {
    return { method, urlIncludes: head };
  }
}
