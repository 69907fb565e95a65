/**
 * Which inbound connections a server starts a handshake for (geth: checkInboundConn).
 *
 * - netRestrict: when set, only addresses inside one of its CIDRs.
 * - A per-IP history: an address that connected within the last `window` ms is refused, so
 *   one host cannot take every pending-handshake slot by reconnecting. Loopback and LAN
 *   addresses are exempt by default, as in geth, where they are trusted infrastructure.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface ThrottleConfig {
  /** How long an address is remembered, ms; 0 turns the history off. */
  readonly window: number;
  readonly exemptLoopback: boolean;
  readonly exemptLan: boolean;
  /** CIDRs an inbound address must be in, or undefined for any. */
  readonly netRestrict: readonly string[] | undefined;
}

const family = (ip: string): 'ipv4' | 'ipv6' => (isIPv4(ip) ? 'ipv4' : 'ipv6');

/** Parse CIDRs into a BlockList; RangeError names the first bad one. */
export function cidrList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [addr, bits, extra] = typeof cidr === 'string' ? cidr.split('/') : [];
    const prefix = Number(bits);
    const ok = addr !== undefined && extra === undefined && (isIPv4(addr) || isIPv6(addr)) && /^\d+$/.test(bits ?? '') && prefix <= (isIPv4(addr) ? 32 : 128);
    if (!ok) throw new RangeError(`netRestrict: ${JSON.stringify(cidr)} is not a CIDR such as 10.0.0.0/8`);
    list.addSubnet(addr, prefix, family(addr));
  }
  return list;
}

const LOOPBACK = cidrList(['127.0.0.0/8', '::1/128']);
/** Private, link-local and unique-local ranges: what geth's netutil.IsLAN calls LAN. */
const LAN = cidrList(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10']);

/** IPv4-mapped IPv6 (::ffff:1.2.3.4) is the IPv4 address, as a dual-stack socket reports it. */
function normalise(ip: string): string {
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

export class InboundThrottle {
  readonly #config: ThrottleConfig;
  readonly #allowed: BlockList | undefined;
  /** Address -> when it may connect again; insertion order is expiry order (one window). */
  readonly #history = new Map<string, number>();

  constructor(config: ThrottleConfig) {
    this.#config = config;
    this.#allowed = config.netRestrict ? cidrList(config.netRestrict) : undefined;
  }

  /** Why a connection from `address` is refused, or undefined to accept it (and remember it). */
  check(address: string | undefined, now = performance.now()): string | undefined {
    if (!address) return 'no remote address';
    const ip = normalise(address);
    const fam = family(ip);
    if (this.#allowed && !this.#allowed.check(ip, fam)) return `${ip} is not in netRestrict`;
    const { window, exemptLoopback, exemptLan } = this.#config;
    if (window === 0) return undefined;
    if ((exemptLoopback && LOOPBACK.check(ip, fam)) || (exemptLan && LAN.check(ip, fam))) return undefined;
    for (const [key, until] of this.#history) {
      if (until > now) break;
      this.#history.delete(key);
    }
    if (this.#history.has(ip)) return `too many connection attempts from ${ip}`;
    this.#history.set(ip, now + window);
    return undefined;
  }
}
