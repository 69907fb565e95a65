/**
 * IP address classes as discovery filters them (geth's p2p/netutil): which addresses may be
 * relayed by whom, which are LAN (exempt from the table's subnet limits), and the /24 key
 * those limits count by.
 */
import { isIP } from 'node:net';
import { ipToBytes } from './enr-values.js';

type Cidr = [Uint8Array, number];

function cidr(text: string): Cidr {
  const [ip, bits] = text.split('/') as [string, string];
  return [ipToBytes(ip, isIP(ip) === 4 ? 4 : 16), Number(bits)];
}

function inCidr(ip: Uint8Array, [net, bits]: Cidr): boolean {
  if (ip.length !== net.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== net[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole]! & mask) === (net[whole]! & mask);
}

const LAN4 = ['0.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(cidr);
const LAN6 = ['fe80::/10', 'fc00::/7'].map(cidr);
/** Special-purpose networks (RFC 6890 and friends): never relayed, never dialed. */
const SPECIAL4 = [
  '0.0.0.0/8', '192.0.0.0/29', '192.0.0.9/32', '192.0.0.170/32', '192.0.0.171/32', '192.0.2.0/24', '192.31.196.0/24',
  '192.52.193.0/24', '192.88.99.0/24', '192.175.48.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '255.255.255.255/32',
].map(cidr);
const SPECIAL6 = ['100::/64', '2001::/32', '2001:1::1/128', '2001:2::/48', '2001:3::/32', '2001:4:112::/48', '2001:5::/32', '2001:10::/28', '2001:20::/28', '2001:db8::/32', '2002::/16'].map(cidr);

/** 4 or 16 bytes, IPv4-mapped IPv6 folded to IPv4; undefined for text that is not an IP. */
export function ipBytes(ip: string): Uint8Array | undefined {
  const v = isIP(ip);
  if (v === 4) return ipToBytes(ip, 4);
  if (v !== 6) return undefined;
  const b = ipToBytes(ip, 16);
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12);
  return b;
}

export function isLoopback(ip: Uint8Array): boolean {
  if (ip.length === 4) return ip[0] === 127;
  return ip.subarray(0, 15).every((x) => x === 0) && ip[15] === 1;
}

/** Loopback, RFC 1918, link-local and unique-local: the addresses the subnet limits exempt. */
export function isLan(ip: Uint8Array): boolean {
  if (isLoopback(ip)) return true;
  if (ip.length === 4) return LAN4.some((c) => inCidr(ip, c)) || (ip[0] === 169 && ip[1] === 254);
  return LAN6.some((c) => inCidr(ip, c));
}

export function isSpecial(ip: Uint8Array): boolean {
  return (ip.length === 4 ? SPECIAL4 : SPECIAL6).some((c) => inCidr(ip, c));
}

function isUnspecified(ip: Uint8Array): boolean {
  return ip.every((x) => x === 0);
}

/**
 * Why `addr`, learned from `sender`, must not be used, or undefined when it may: unspecified
 * and special-purpose addresses never; loopback only from a loopback sender; LAN only from a
 * LAN sender (geth's CheckRelayIP).
 */
export function relayError(sender: Uint8Array, addr: Uint8Array): string | undefined {
  if (addr.length !== 4 && addr.length !== 16) return 'not an IP address';
  if (isUnspecified(addr)) return 'unspecified address';
  if (isSpecial(addr)) return 'special-purpose network';
  if (isLoopback(addr) && !isLoopback(sender)) return 'loopback address from a non-loopback sender';
  if (isLan(addr) && !isLan(sender)) return 'LAN address from a WAN sender';
  return undefined;
}

/** The /24 (first 3 bytes, for IPv4 and IPv6 alike, as geth counts them) the limits key on. */
export function subnetKey(ip: Uint8Array): string {
  return `${ip.length}:${ip[0]}.${ip[1]}.${ip[2]}`;
}
