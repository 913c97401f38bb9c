import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from './errors.js';

export interface AddressPolicyOptions {
  /** 127.0.0.0/8, ::1 and the unspecified address (which reaches this host) allowed. Default false. */
  allowLoopback?: boolean;
  /** 10/8, 172.16/12, 192.168/16, 100.64/10 and fc00::/7 allowed. Default false. */
  allowPrivate?: boolean;
}

/** Cloud metadata endpoints outside the link-local ranges (which are always refused anyway). */
const METADATA = new Set(['fd00:ec2::254', '100.100.100.200', '192.0.0.192']);

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Which IP addresses replays and recordings may connect to. A replay checks three times: on the workflow's origins
 * before a run, in the DNS lookup the sockets use, and on the socket's remote address once
 * connected — so a name that resolves differently between the check and the connect (DNS
 * rebinding) is still refused.
 */
export class AddressPolicy {
  private readonly allowLoopback: boolean;
  private readonly allowPrivate: boolean;

  constructor(opts: AddressPolicyOptions = {}) {
    this.allowLoopback = opts.allowLoopback ?? false;
    this.allowPrivate = opts.allowPrivate ?? false;
  }

  /** Why an address is refused, or undefined when it is allowed. */
  refusal(address: string): string | undefined {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.parse(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
    } catch {
      return `${address} is not an IP address`;
    }
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
    if (METADATA.has(ip.toNormalizedString()) || METADATA.has(ip.toString())) return `${address} is a cloud metadata address`;
    const range = ip.range();
    switch (range) {
      case 'unicast':
        return undefined;
      case 'loopback':
      case 'unspecified':
        return this.allowLoopback ? undefined : `${address} is a loopback address (not allowed unless ALLOW_LOOPBACK_TARGETS=true)`;
      case 'private':
      case 'uniqueLocal':
      case 'carrierGradeNat':
        return this.allowPrivate ? undefined : `${address} is a private address (not allowed unless ALLOW_PRIVATE_TARGETS=true)`;
      case 'linkLocal':
        return `${address} is a link-local address`;
      default:
        return `${address} is in the ${range} range`;
    }
  }

  /** Throws target_forbidden unless the address is allowed. */
  assertAllowed(address: string, host: string): void {
    const why = this.refusal(address);
    if (why) throw new AppError('target_forbidden', `Refused to contact ${host}: ${why}`);
  }

  /** Resolves a host name (or takes an IP literal) and checks every address it resolves to. */
  async checkHost(hostname: string): Promise<void> {
    const host = hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return this.assertAllowed(host, hostname);
    let addrs: LookupAddress[];
    try {
      addrs = await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(host, { all: true }, (err, a) => (err ? reject(err) : resolve(a))));
    } catch (err) {
      throw new AppError('target_unreachable', `Cannot resolve ${hostname}`, undefined, undefined, { cause: err });
    }
    for (const a of addrs) this.assertAllowed(a.address, hostname);
  }

  /** A dns.lookup replacement for net.connect that never hands out a refused address. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
      if (err) return callback(err, []);
      const ok = addrs.filter((a) => !this.refusal(a.address));
      if (ok.length === 0) {
        const why = addrs.length ? this.refusal(addrs[0]!.address) : 'no address';
        return callback(Object.assign(new Error(`Refused to contact ${hostname}: ${why}`), { code: 'ERR_TARGET_FORBIDDEN' }), []);
      }
      if (options.all) return callback(null, ok);
      callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}
