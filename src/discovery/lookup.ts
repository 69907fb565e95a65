/**
 * The iterative Kademlia lookup, for either protocol: ask the `alpha` closest nodes not yet
 * asked for nodes near the target, keep the `resultSize` closest, and stop when none of those
 * is left to ask. The query is the protocol's (v4 FINDNODE with a public key as target, v5
 * FINDNODE by distances); failures just leave a node out of the result.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { compareDistance, type DiscoveryNode } from './node.js';

export const ALPHA = 3;
export const RESULT_SIZE = 16;

export interface LookupOptions {
  /** 32-byte id the distances are measured to. */
  target: Uint8Array;
  /** Where to start (the table's closest nodes, or bootnodes). */
  seeds: readonly DiscoveryNode[];
  query: (node: DiscoveryNode, signal: AbortSignal | undefined) => Promise<DiscoveryNode[]>;
  /** Called once per node the lookup hears of (seeds excluded), as it hears of it. */
  onFound?: (node: DiscoveryNode, from: DiscoveryNode) => void;
  /** Called after each query with its outcome. */
  onQueried?: (node: DiscoveryNode, ok: boolean) => void;
  alpha?: number;
  resultSize?: number;
  /** The lookup's own id (never queried or returned). */
  selfId?: Uint8Array;
  signal?: AbortSignal;
}

/** The closest nodes to target that answered, nearest first. */
export async function lookup(options: LookupOptions): Promise<DiscoveryNode[]> {
  const { target, query, signal } = options;
  const alpha = options.alpha ?? ALPHA;
  const size = options.resultSize ?? RESULT_SIZE;
  const self = options.selfId ? bytesToHex(options.selfId) : undefined;
  const seen = new Set<string>();
  const asked = new Set<string>();
  const answered = new Set<string>();
  /** The closest candidates known, nearest first, at most `size` (plus those asked). */
  let candidates: DiscoveryNode[] = [];
  const consider = (n: DiscoveryNode): boolean => {
    const key = bytesToHex(n.id);
    if (key === self || seen.has(key)) return false;
    seen.add(key);
    candidates.push(n);
    return true;
  };
  for (const s of options.seeds) consider(s);
  const sortTrim = (): void => {
    candidates.sort((a, b) => compareDistance(target, a.id, b.id));
    // Keep everything asked (their answers count) and the nearest `size` others.
    candidates = candidates.filter((n, i) => i < size || asked.has(bytesToHex(n.id)));
  };
  sortTrim();
  const inflight = new Map<string, Promise<void>>();
  for (;;) {
    signal?.throwIfAborted();
    // The nearest `size` candidates that are still worth asking.
    const next = candidates.slice(0, size).filter((n) => !asked.has(bytesToHex(n.id)));
    while (inflight.size < alpha && next.length > 0) {
      const node = next.shift()!;
      const key = bytesToHex(node.id);
      asked.add(key);
      const run = query(node, signal).then(
        (nodes) => {
          answered.add(key);
          options.onQueried?.(node, true);
          for (const n of nodes) if (consider(n)) options.onFound?.(n, node);
        },
        () => options.onQueried?.(node, false),
      );
      inflight.set(
        key,
        run.finally(() => inflight.delete(key)),
      );
    }
    if (inflight.size === 0) break;
    await Promise.race(inflight.values());
    sortTrim();
  }
  signal?.throwIfAborted();
  return candidates.filter((n) => answered.has(bytesToHex(n.id))).slice(0, size);
}
