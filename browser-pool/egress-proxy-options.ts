import { Type } from '@sinclair/typebox';
import { functionOption, intOption, objectOption, readOptions, type AddressPolicy, type Logger } from '../core/index.js';

/** What a lease's egress proxy lets through; given by the lease's owner (see LeaseOptions.egress). */
export interface EgressRules {
  /**
   * Judges addresses. The proxy resolves each host once with it (every address the name has must
   * be allowed) and connects only to an address it checked, so neither a redirect hop nor a name
   * that answers differently the second time (DNS rebinding) gets past it. Required.
   */
  policy: Pick<AddressPolicy, 'resolve'>;
  /**
   * A further check by host (lower case, IPv6 without brackets) and port, made before any lookup:
   * why the connection is refused, or undefined to go on to the policy. Default: every host and port.
   */
  allow?: (host: string, port: number) => string | undefined;
  /** Told of each refused connection: host, port and reason (never the URL: it may carry secrets). Default: nothing. */
  onRefused?: (host: string, port: number, why: string) => void;
}

export interface EgressProxyOptions extends EgressRules {
  /** Parent logger; the proxy logs as `module: 'egress-proxy'`. Required. */
  logger: Logger;
  /** Longest wait for the TCP connect to a checked address, ms. Default 30000. */
  connectTimeoutMs?: number;
}

/** EgressProxyOptions as a schema: what must be there, bounds and defaults in one place. */
export const EgressProxyOptionsSchema = Type.Object({
  policy: Type.Object({ resolve: functionOption() }, { description: 'Judges addresses' }),
  allow: Type.Optional(functionOption('A further check by host and port')),
  onRefused: Type.Optional(functionOption('Told of each refused connection')),
  logger: objectOption<Logger>('Parent logger'),
  connectTimeoutMs: intOption(1, 30_000, 'Longest wait for the TCP connect, ms'),
});

export type ResolvedEgressOptions = Required<Omit<EgressProxyOptions, 'allow'>> & Pick<EgressProxyOptions, 'allow'>;

/** Checks a proxy's options once, at construction (a proxy is built per lease: the schema is compiled once). */
export function resolveEgressOptions(opts: EgressProxyOptions): ResolvedEgressOptions {
  const o = readOptions<ResolvedEgressOptions>(EgressProxyOptionsSchema, opts, 'EgressProxy');
  o.onRefused ??= () => undefined;
  return o;
}
