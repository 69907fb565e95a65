/**
 * The iterative Kademlia lookup of discv5: ask the closest nodes not yet asked (alpha at a time)
 * for the log-distances around the target, merge what they return, and stop when the k closest
 * known have all been asked. Protocol-free: the caller supplies the FINDNODE.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { compareDistance, logDistance, type DiscoveryNode } from './node.js';

export const LOOKUP_ALPHA = 3;
export const LOOKUP_K = 16;
/** Distances asked per FINDNODE (geth's lookupRequestLimit). */
export const LOOKUP_DISTANCES = 3;

/** The target's log-distance from `dest`, then its neighbours, within 1..256 (geth's order). */
export function lookupDistances(target: Uint8Array, dest: Uint8Array): number[] {
  const td = logDistance(target, dest);
  const out = [td];
  for (let i = 1; out.length < LOOKUP_DISTANCES && i < 256; i++) {
    if (td + i <= 256) out.push(td + i);
    if (td - i > 0 && out.length < LOOKUP_DISTANCES) out.push(td - i);
  }
  return out.filter((d) => d > 0);
}

export interface LookupOptions {
  target: Uint8Array;
  selfId: Uint8Array;
  seeds: DiscoveryNode[];
  findNode: (node: DiscoveryNode, distances: number[], signal: AbortSignal | undefined) => Promise<DiscoveryNode[]>;
  /** Every node learned on the way, asked or not (for a crawl to collect). */
  onFound?: (node: DiscoveryNode) => void;
  signal?: AbortSignal;
  k?: number;
  alpha?: number;
}

/** The k closest nodes to the target that answered (or were learned, if too few answered). */
export async function lookup(o: LookupOptions): Promise<DiscoveryNode[]> {
  const k = o.k ?? LOOKUP_K;
  const alpha = o.alpha ?? LOOKUP_ALPHA;
  const self = bytesToHex(o.selfId);
  const known = new Map<string, DiscoveryNode>();
  const asked = new Set<string>();
  const answered = new Set<string>();
  const add = (n: DiscoveryNode): void => {
    const id = bytesToHex(n.id);
    if (id === self || known.has(id)) return;
    known.set(id, n);
    o.onFound?.(n);
  };
  for (const s of o.seeds) add(s);
  const closest = (): DiscoveryNode[] => [...known.values()].sort((a, b) => compareDistance(o.target, a.id, b.id)).slice(0, k);

  const inflight = new Set<Promise<void>>();
  for (;;) {
    o.signal?.throwIfAborted();
    for (const n of closest()) {
      if (inflight.size >= alpha) break;
      const id = bytesToHex(n.id);
      if (asked.has(id)) continue;
      asked.add(id);
      const p: Promise<void> = o
        .findNode(n, lookupDistances(o.target, n.id), o.signal)
        .then(
          (found) => {
            answered.add(id);
            for (const f of found) add(f);
          },
          () => undefined,
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
    }
    if (inflight.size === 0) break;
    await Promise.race(inflight);
  }
  o.signal?.throwIfAborted();
  const best = closest().filter((n) => answered.has(bytesToHex(n.id)));
  return best.length > 0 ? best : closest();
}
