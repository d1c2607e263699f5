/**
 * Is a request on site? docs/architecture.md: closed hearings are reviewed by the parties only
 * from a configured court network range or a registered on-site terminal. The address
 * matching is node:net's BlockList, which does the prefix arithmetic for IPv4 and IPv6
 * and matches IPv4-mapped IPv6 addresses (`::ffff:10.0.0.5`, what a dual-stack socket
 * reports for an IPv4 client) against IPv4 ranges and the other way round.
 */
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../../core/index.ts';
import type { Place } from './access-policy.ts';

export interface CourtNetwork {
  /** The network's address as written, e.g. `10.20.0.0` or `2001:db8:10::`. */
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Parses `address/prefix` (a bare address means that one host: /32 or /128). Host bits
 * set below the prefix are allowed and ignored, as in most firewall configurations.
 * Throws ValidationError for anything else, so a bad configuration fails at start-up.
 */
export function parseCourtNetwork(cidr: string): CourtNetwork {
  const bad = (why: string): ValidationError =>
    new ValidationError(`court network ${JSON.stringify(cidr)} is not a CIDR range: ${why}`, { cidr });
  const parts = cidr.split('/');
  if (parts.length > 2) throw bad('more than one "/"');
  const [address = '', prefixText] = parts;
  if (address.includes('%')) throw bad('a zone id has no place in a network range');
  const version = isIP(address);
  if (version === 0) throw bad(`${JSON.stringify(address)} is not an IPv4 or IPv6 address`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!PREFIX.test(prefixText)) throw bad(`prefix ${JSON.stringify(prefixText)} is not a number`);
  const prefix = Number(prefixText);
  if (prefix > max) throw bad(`prefix /${prefix} is longer than ${max} bits`);
  return { address, prefix, family };
}

/**
 * Builds the matcher once (at start-up, from configuration) for the hot path: each
 * playlist and segment request asks it. The returned function throws ValidationError
 * for a malformed address.
 */
export function createOnSiteMatcher(courtNetworks: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const cidr of courtNetworks) {
    const net = parseCourtNetwork(cidr);
    list.addSubnet(net.address, net.prefix, net.family);
  }
  // BlockList.check builds a SocketAddress per call; a hub sees few distinct addresses.
  const known = new Map<string, boolean>();
  return (address) => {
    const cached = known.get(address);
    if (cached !== undefined) return cached;
    const { host, family } = parseAddress(address);
    const inside = list.check(host, family);
    if (known.size >= 4096) known.clear();
    known.set(address, inside);
    return inside;
  };
}

/** Whether `address` lies in one of the court network ranges (IPv4 or IPv6 CIDR). */
export function isOnSite(address: string, courtNetworks: readonly string[]): boolean {
  return createOnSiteMatcher(courtNetworks)(address);
}

/**
 * The Place of a request, as `decide` takes it. A registered on-site terminal counts as
 * on site whatever its address (the hub recognises it by its registration); otherwise
 * the address decides.
 */
export function placeOf(options: { onCourtNetwork: boolean; registeredTerminal: boolean }): Place {
  if (options.registeredTerminal) return { onSite: true, how: 'terminal' };
  if (options.onCourtNetwork) return { onSite: true, how: 'court-network' };
  return { onSite: false, how: 'remote' };
}

function parseAddress(address: string): { host: string; family: 'ipv4' | 'ipv6' } {
  const version = isIP(address);
  if (version === 4) return { host: address, family: 'ipv4' };
  if (version === 6) {
    // A zone id (`fe80::1%eth0`) names the interface, not a different address.
    const zone = address.indexOf('%');
    return { host: zone === -1 ? address : address.slice(0, zone), family: 'ipv6' };
  }
  throw new ValidationError(`${JSON.stringify(address)} is not an IPv4 or IPv6 address`, { address });
}
