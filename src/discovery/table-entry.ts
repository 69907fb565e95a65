/**
 * One node's entry in the table: the node, and its liveness over each protocol it was seen to
 * speak, with summary fields (best count, latest check) that follow them.
 */
import type { DiscoveryNode } from './node.js';

export type DiscoveryProtocol = 'v4' | 'v5';

/** A node's liveness over one protocol. */
export interface ProtocolState {
  /** Successful liveness checks over this protocol; divided by 3 on a failed one, as geth does. */
  checks: number;
  /** When it was last checked over this protocol (0: never). */
  lastCheck: number;
}

export interface TableEntry {
  node: DiscoveryNode;
  /** When it entered the table (ms since epoch). */
  readonly added: number;
  /** Successful liveness checks: the most over any of its protocols. */
  livenessChecks: number;
  /** When it was last checked over any protocol (0: never). */
  lastCheck: number;
  /** The protocols it was seen to speak at its endpoint, each with its liveness (never empty). */
  readonly protocols: Map<DiscoveryProtocol, ProtocolState>;
}

/** A new entry that speaks `protocol`, checked `checks` times (a check counts as made `now`). */
export function newEntry(node: DiscoveryNode, protocol: DiscoveryProtocol, checks: number, now: number): TableEntry {
  const lastCheck = checks > 0 ? now : 0;
  return { node, added: now, livenessChecks: checks, lastCheck, protocols: new Map([[protocol, { checks, lastCheck }]]) };
}

/** The entry's summary fields follow its protocols: the best count, the latest check. */
export function sync(e: TableEntry): void {
  let checks = 0;
  let last = 0;
  for (const s of e.protocols.values()) {
    checks = Math.max(checks, s.checks);
    last = Math.max(last, s.lastCheck);
  }
  e.livenessChecks = checks;
  e.lastCheck = last;
}

