import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from './errors.js';

export interface AddressPolicyOptions {
  /**
   * 127.0.0.0/8, ::1 and the unspecified address (which reaches this host) allowed; so are names a
   * browser answers with loopback itself (`localhost`, `*.localhost`) and names that resolve nowhere
   * here (a browser may still resolve them its own way). Default false.
   */
  allowLoopback?: boolean;
  /** 10/8, 172.16/12, 192.168/16, 100.64/10 and fc00::/7 allowed. Default false. */
  allowPrivate?: boolean;
}

/** Cloud metadata endpoints outside the link-local ranges (which are always refused anyway). */
const METADATA = new Set(['fd00:ec2::254', '100.100.100.200', '192.0.0.192']);

/** What Chromium answers a localhost name with, without asking DNS. */
const LOOPBACK: readonly LookupAddress[] = Object.freeze([
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
]);

/** Lookup failures that say the name does not exist (rather than that DNS could not be asked). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Which IP addresses replays and recordings may connect to. A replay checks three times: on the workflow's origins
 * before a run, in the DNS lookup the sockets use, and on the socket's remote address once
 * connected — so a name that resolves differently between the check and the connect (DNS
 * rebinding) is still refused.
 *
 * Host names are judged the way a browser reaches them, not only the way Node resolves them:
 * WHATWG host parsing first (`2130706433`, `0x7f.1`, `0` are IPv4 addresses), then the names
 * Chromium answers with loopback on its own (`localhost`, `*.localhost`, with trailing dots), then
 * DNS. A name DNS does not know is refused unless loopback is allowed, since the browser may still
 * resolve it its own way. IPv6 forms that carry an IPv4 address (mapped, compatible, translated,
 * NAT64, 6to4, Teredo) are judged by the IPv4 address they carry.
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
    if (METADATA.has(ip.toNormalizedString()) || METADATA.has(ip.toString())) return `${address} is a cloud metadata address`;
    if (ip.kind() === 'ipv6') {
      const carried = embeddedIPv4(ip as ipaddr.IPv6);
      if (carried) {
        for (const { v4, form } of carried) {
          const why = this.refusal(v4.toString());
          if (why) return `${address} is ${form} IPv6 for ${v4.toString()}: ${why}`;
        }
        return undefined;
      }
    }
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

  /**
   * Checks a host name (or IP literal, in any form a URL accepts) the way a browser would reach it:
   * every address it resolves to must be allowed. Throws target_forbidden when refused,
   * target_unreachable when DNS could not be asked (loopback allowed: also when the name is unknown).
   */
  async checkHost(hostname: string): Promise<void> {
    await this.resolve(hostname);
  }

  /**
   * The addresses a host name (or IP literal) reaches, resolved once and each of them checked as
   * checkHost does: for a client that then connects to one of these addresses and resolves nothing
   * again (so a name cannot answer differently between the check and the connect). Localhost names
   * give 127.0.0.1 and ::1, as in a browser. Throws as checkHost.
   */
  async resolve(hostname: string): Promise<LookupAddress[]> {
    const host = canonicalHost(hostname);
    if (host === undefined) throw new AppError('target_forbidden', `Refused to contact ${hostname}: not a valid host name`);
    if (isIP(host)) {
      this.assertAllowed(host, hostname);
      return [{ address: host, family: isIP(host) }];
    }
    if (isLocalhostName(host)) {
      if (!this.allowLoopback) {
        throw new AppError('target_forbidden', `Refused to contact ${hostname}: a loopback name, which browsers resolve to 127.0.0.1 and ::1 themselves (not allowed unless ALLOW_LOOPBACK_TARGETS=true)`);
      }
      for (const a of LOOPBACK) this.assertAllowed(a.address, hostname);
      return LOOPBACK.map((a) => ({ ...a }));
    }
    let addrs: LookupAddress[];
    try {
      addrs = await new Promise<LookupAddress[]>((resolve, reject) => dnsLookup(host, { all: true }, (err, a) => (err ? reject(err) : resolve(a))));
    } catch (err) {
      if (!this.allowLoopback && NO_SUCH_NAME.has((err as NodeJS.ErrnoException).code ?? '')) {
        throw new AppError(
          'target_forbidden',
          `Refused to contact ${hostname}: the name does not resolve here, and a browser may resolve it its own way (to this host, say); such names are not allowed unless ALLOW_LOOPBACK_TARGETS=true`, { cause: err },
        );
      }
      throw new AppError('target_unreachable', `Cannot resolve ${hostname}`, { cause: err });
    }
    for (const a of addrs) this.assertAllowed(a.address, hostname);
    return addrs;
  }

  /** A dns.lookup replacement for net.connect that never hands out a refused address; localhost names get loopback, as in a browser. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    if (isLocalhostName(hostname)) return this.answer(hostname, LOOPBACK.filter((a) => familyMatches(a.family, options.family)), options, callback);
    dnsLookup(hostname, { ...options, all: true }, (err, addrs) => {
      if (err) return callback(err, []);
      this.answer(hostname, addrs, options, callback);
    });
  };

  private answer(hostname: string, addrs: readonly LookupAddress[], options: LookupOptions, callback: LookupCallback): void {
    const ok = addrs.filter((a) => !this.refusal(a.address));
    if (ok.length === 0) {
      const why = addrs.length ? this.refusal(addrs[0]!.address) : 'no address';
      return callback(Object.assign(new Error(`Refused to contact ${hostname}: ${why}`), { code: 'ERR_TARGET_FORBIDDEN' }), []);
    }
    if (options.all) return callback(null, ok);
    callback(null, ok[0]!.address, ok[0]!.family);
  }
}

/**
 * The host as a browser's URL parser leaves it (lower case, IDNA, IPv4 in any of its numeric forms
 * made dotted-quad), without brackets; undefined when it is no valid host.
 */
function canonicalHost(hostname: string): string | undefined {
  let h = hostname;
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (isIP(h)) return h;
  if (h === '' || /[\s/?#@\\:[\]]/.test(h)) return undefined;
  try {
    return new URL(`http://${h}/`).hostname;
  } catch {
    return undefined;
  }
}

/** Names Chromium answers with loopback itself (net::IsLocalHostname and its older forms), trailing dots or not. */
function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.+$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === 'localhost.localdomain' || h === 'localhost6' || h === 'localhost6.localdomain6';
}

function familyMatches(family: number, wanted: LookupOptions['family']): boolean {
  if (wanted === 4 || wanted === 'IPv4') return family === 4;
  if (wanted === 6 || wanted === 'IPv6') return family === 6;
  return true;
}

/**
 * The IPv4 addresses an IPv6 address carries, by its form; undefined when it carries none. `::`
 * and `::1` are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones. NAT64's
 * local-use prefix (RFC 8215) is read with the /96 layout, the one in common use.
 */
function embeddedIPv4(ip: ipaddr.IPv6): Array<{ v4: ipaddr.IPv4; form: string }> | undefined {
  const p = ip.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zero = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && p[5] === 0xffff) return [{ v4: v4(p[6]!, p[7]!), form: 'IPv4-mapped' }];
  if (zero(0, 4) && p[4] === 0xffff && p[5] === 0) return [{ v4: v4(p[6]!, p[7]!), form: 'IPv4-translated' }];
  if (zero(0, 6) && !(p[6] === 0 && p[7]! <= 1)) return [{ v4: v4(p[6]!, p[7]!), form: 'IPv4-compatible' }];
  if (p[0] === 0x64 && p[1] === 0xff9b && (zero(2, 6) || p[2] === 1)) return [{ v4: v4(p[6]!, p[7]!), form: 'NAT64' }];
  if (p[0] === 0x2002) return [{ v4: v4(p[1]!, p[2]!), form: '6to4' }];
  if (p[0] === 0x2001 && p[1] === 0) {
    // Teredo: the server's address as is, the client's (where packets end up) with every bit flipped.
    return [
      { v4: v4(p[2]!, p[3]!), form: 'Teredo (server)' },
      { v4: v4(~p[6]! & 0xffff, ~p[7]! & 0xffff), form: 'Teredo (client)' },
    ];
  }
  return undefined;
}
