/**
 * The node as discovery knows it, whatever the protocol (v4 or v5): an identity (the 64-byte
 * public key and its keccak256, the 32-byte node id), the UDP/TCP endpoint it was seen at, and
 * its signed record when one was fetched. Shared by the Kademlia table and both protocols.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { formatEnode } from '../peer/enode.js';
import type { Enr } from './enr.js';

export interface DiscoveryNode {
  /** keccak256(publicKey): the node's address in the Kademlia space. */
  readonly id: Uint8Array;
  /** 64-byte x ‖ y. */
  readonly publicKey: Uint8Array;
  /** The IP the node was seen at (dotted quad or IPv6 text). */
  readonly ip: string;
  readonly udp: number;
  /** 0 when the node announced no TCP port. */
  readonly tcp: number;
  /** Its record, once fetched (EIP-868 ENRREQUEST in v4, FINDNODE distance 0 in v5). */
  readonly enr?: Enr;
}

export function makeNode(publicKey: Uint8Array, ip: string, udp: number, tcp: number, enr?: Enr): DiscoveryNode {
  return { id: keccak256(publicKey), publicKey, ip, udp, tcp, ...(enr ? { enr } : {}) };
}

/** The node a record describes (its IPv4 endpoint first), or undefined when it has no UDP endpoint. */
export function nodeFromEnr(enr: Enr): DiscoveryNode | undefined {
  if (enr.ip !== undefined && enr.udp) return makeNode(enr.publicKey, enr.ip, enr.udp, enr.tcp ?? 0, enr);
  const udp6 = enr.udp6 ?? enr.udp;
  if (enr.ip6 !== undefined && udp6) return makeNode(enr.publicKey, enr.ip6, udp6, enr.tcp6 ?? enr.tcp ?? 0, enr);
  return undefined;
}

export function nodeIdHex(node: { id: Uint8Array }): string {
  return bytesToHex(node.id);
}

/** enode://key@ip:tcp?discport=udp (tcp 0 is written as the UDP port, as geth dials it). */
export function nodeToEnode(node: DiscoveryNode): string {
  return formatEnode({ id: node.publicKey, host: node.ip, port: node.tcp || node.udp, discport: node.udp });
}

/** 256 minus the number of leading zero bits of a xor b: 0 for equal ids, 256 at most. */
export function logDistance(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return (32 - i) * 8 - (Math.clz32(x) - 24);
  }
  return 0;
}

/** <0 when a is closer to target than b, >0 when farther, 0 when equal (XOR metric). */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}
