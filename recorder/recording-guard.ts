import type { BrowserContext, Route } from 'playwright';
import type { EgressRules } from '../browser-pool/index.js';
import { AppError, isAppError, type AddressPolicy, type Logger } from '../core/index.js';

/** How long a host's verdict is reused (ms); a page loads many resources from one host. */
const VERDICT_TTL_MS = 10_000;
const VERDICT_MAX = 500;

/**
 * Keeps a recording's browser away from addresses the AddressPolicy refuses (cloud metadata and
 * link-local always; loopback and private ranges unless configured).
 *
 * The enforcement is the lease's egress proxy (egress(), given to the pool as LeaseOptions.egress):
 * every connection the context makes passes it, each redirect hop and WebSocket included, and it
 * connects only to the addresses it checked (no second lookup, so no DNS rebinding). attach() adds
 * a route() check on top, which refuses the requests route() does see before they leave the
 * browser (the page sees net::ERR_BLOCKED_BY_CLIENT); route() is not asked about redirect hops.
 */
export class RecordingGuard {
  private readonly verdicts = new Map<string, { until: number; why: Promise<string | undefined> }>();
  /** Hosts whose refusal was logged lately: one warning per host, not one per request. */
  private readonly logged = new Set<string>();

  constructor(
    private readonly policy: AddressPolicy,
    /** Told of each refused request (host and reason; never the URL, which may carry secrets). */
    private readonly onRefused: (host: string, why: string) => void = () => undefined,
    private readonly log?: Logger,
  ) {}

  /** Throws target_forbidden (details at `path`) when the URL's host is refused: said plainly, before a browser goes there. */
  async check(url: string, path: string): Promise<void> {
    const why = await this.refusal(new URL(url).hostname);
    if (why) throw new AppError('target_forbidden', why, { details: [{ path, message: why }] });
  }

  /** Why a host is refused, or undefined (a name that resolves nowhere is refused unless loopback is allowed: AddressPolicy). */
  refusal(hostname: string): Promise<string | undefined> {
    const now = Date.now();
    const hit = this.verdicts.get(hostname);
    if (hit && hit.until > now) return hit.why;
    const why = this.policy.checkHost(hostname).then(
      () => undefined,
      (err: unknown) => (isAppError(err) && err.code === 'target_forbidden' ? err.message : undefined),
    );
    if (this.verdicts.size >= VERDICT_MAX) this.verdicts.clear();
    this.verdicts.set(hostname, { until: now + VERDICT_TTL_MS, why });
    return why;
  }

  /** The rules of the recording's egress proxy: this policy, refusals reported as route()'s are. */
  egress(): EgressRules {
    return { policy: this.policy, onRefused: (host, _port, why) => this.refused(host, why) };
  }

  /** Routes every request of the context through the check (fast refusals; the egress proxy is the enforcement). */
  async attach(context: BrowserContext): Promise<void> {
    await context.route('**/*', (route) => this.handle(route));
  }

  private async handle(route: Route): Promise<void> {
    let host: string | undefined;
    try {
      const url = new URL(route.request().url());
      if (url.protocol === 'http:' || url.protocol === 'https:') host = url.hostname;
    } catch {
      // Not a URL the policy speaks of.
    }
    const why = host === undefined ? undefined : await this.refusal(host);
    // The page may be gone by now: nothing left to continue or abort.
    if (why) {
      this.refused(host!, why);
      await route.abort('blockedbyclient').catch(() => undefined);
    } else {
      await route.continue().catch(() => undefined);
    }
  }

  private refused(host: string, why: string): void {
    this.onRefused(host, why);
    if (this.log && !this.logged.has(host)) {
      if (this.logged.size >= 100) this.logged.clear();
      this.logged.add(host);
      this.log.warn('recording request refused', { host, reason: why });
    }
  }
}
