/**
 * The table's IP limits, as geth's: at most 2 nodes of one /24 (IPv4; /64 for IPv6, by
 * netutil's subnetKey) per bucket and 10 per table, so one operator with a block of addresses
 * cannot fill the table. LAN and loopback addresses are exempt: a local network has one subnet.
 */
import type { DiscoveryNode } from './node.js';
import { ipBytes, isLan, subnetKey } from './netutil.js';

export const BUCKET_IP_LIMIT = 2;
export const TABLE_IP_LIMIT = 10;

/** The subnet a node counts against, or undefined when it is exempt (LAN, loopback, no IP). */
function limitedSubnet(node: Pick<DiscoveryNode, 'ip'>): string | undefined {
  const ip = ipBytes(node.ip);
  return ip && !isLan(ip) ? subnetKey(ip) : undefined;
}

/** Counts of nodes per subnet over the whole table. */
export class SubnetLimits {
  readonly #table = new Map<string, number>();

  /** Count `node` unless its subnet is full in the table or in `bucket` (the bucket's current nodes). */
  take(node: Pick<DiscoveryNode, 'ip'>, bucket: Iterable<{ node: Pick<DiscoveryNode, 'ip'> }>): boolean {
    const key = limitedSubnet(node);
    if (key === undefined) return true;
    const inTable = this.#table.get(key) ?? 0;
    if (inTable >= TABLE_IP_LIMIT) return false;
    let inBucket = 0;
    for (const e of bucket) if (limitedSubnet(e.node) === key) inBucket++;
    if (inBucket >= BUCKET_IP_LIMIT) return false;
    this.#table.set(key, inTable + 1);
    return true;
  }

  /** Uncount a node that leaves the table. */
  release(node: Pick<DiscoveryNode, 'ip'>): void {
    const key = limitedSubnet(node);
    if (key === undefined) return;
    const n = (this.#table.get(key) ?? 1) - 1;
    if (n > 0) this.#table.set(key, n);
    else this.#table.delete(key);
  }
}
