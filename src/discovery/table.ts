/**
 * The Kademlia table shared by discv4 and discv5, as geth keeps it: 17 buckets of 16 live
 * entries plus 10 replacements each, for the log-distances 240..256 (everything nearer falls in
 * the first bucket), within the IP limits of ip-limits.ts. Its size is bounded by 17 × 26
 * entries whatever remotes send.
 *
 * One table can serve both protocols at once (geth keeps one per protocol). Each entry remembers
 * which protocols the node was seen to speak at its endpoint, each with its own liveness record:
 * a protocol's revalidation checks only the nodes that speak it, a failing protocol is struck
 * off the node, and the node leaves the table only when it has none left. So a v5-only node is
 * never pinged over v4, and a node that speaks both stays while either answers. Calls that name
 * no protocol use the table's own (`protocol` option, default v4), so a table used by one
 * protocol behaves as geth's.
 *
 * Liveness checks are a callback the protocol provides (a v4 PING, a v5 PING), and
 * `revalidate()` is one step of geth's revalidation, which the owner schedules.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from '../crypto/random.js';
import { compareDistance, logDistance, nodeIdHex, type DiscoveryNode } from './node.js';
import { SubnetLimits } from './ip-limits.js';
import { newEntry, sync, type DiscoveryProtocol, type ProtocolState, type TableEntry } from './table-entry.js';

export type { DiscoveryProtocol, ProtocolState, TableEntry } from './table-entry.js';

export const BUCKET_SIZE = 16;
export const MAX_REPLACEMENTS = 10;
export const N_BUCKETS = 17;
/** Log-distances up to this one share bucket 0. */
export const BUCKET_MIN_DISTANCE = 256 - N_BUCKETS;
export { BUCKET_IP_LIMIT, TABLE_IP_LIMIT } from './ip-limits.js';

interface Bucket {
  entries: TableEntry[];
  replacements: TableEntry[];
}

export type AddResult = 'added' | 'updated' | 'replacement' | 'ip-limit' | 'self';

/** What a liveness check learned: whether the node answered, and a newer record if it has one. */
export interface LivenessResult {
  alive: boolean;
  node?: DiscoveryNode;
}

export interface TableOptions {
  /** Our own node id (32 bytes): never added. */
  selfId: Uint8Array;
  /** The protocol of calls that name none (default v4). */
  protocol?: DiscoveryProtocol;
  now?: () => number;
}

export interface TableEvents {
  /** A node entered the live entries. */
  added: [node: DiscoveryNode];
  /** A node left the live entries. */
  removed: [node: DiscoveryNode];
}

export class Table extends EventEmitter<TableEvents> {
  readonly selfId: Uint8Array;
  readonly #buckets: Bucket[] = Array.from({ length: N_BUCKETS }, () => ({ entries: [], replacements: [] }));
  readonly #byId = new Map<string, TableEntry>();
  readonly #limits = new SubnetLimits();
  readonly #now: () => number;
  readonly #protocol: DiscoveryProtocol;
  /** Called with each node that enters the live entries (as well as the 'added' event). @deprecated Listen to 'added'. */
  onAdded?: (node: DiscoveryNode) => void;
  /** Called with each node that leaves the live entries (as well as the 'removed' event). @deprecated Listen to 'removed'. */
  onRemoved?: (node: DiscoveryNode) => void;

  constructor(options: TableOptions) {
    super();
    if (!(options.selfId instanceof Uint8Array) || options.selfId.length !== 32) throw new TypeError('table: selfId must be 32 bytes');
    this.selfId = options.selfId;
    this.#now = options.now ?? Date.now;
    this.#protocol = options.protocol ?? 'v4';
  }

  /** Live entries (not replacements). */
  get size(): number {
    let n = 0;
    for (const b of this.#buckets) n += b.entries.length;
    return n;
  }

  bucketIndex(id: Uint8Array): number {
    const d = logDistance(this.selfId, id);
    return d <= BUCKET_MIN_DISTANCE ? 0 : d - BUCKET_MIN_DISTANCE - 1;
  }

  /** The live entry for an id (replacements are not returned). */
  get(id: Uint8Array): TableEntry | undefined {
    const e = this.#byId.get(nodeIdHex({ id }));
    return e && this.#buckets[this.bucketIndex(id)]!.entries.includes(e) ? e : undefined;
  }

  has(id: Uint8Array): boolean {
    return this.get(id) !== undefined;
  }

  /** Live entries in the bucket that `id` falls in. */
  bucketFill(id: Uint8Array): number {
    return this.#buckets[this.bucketIndex(id)]!.entries.length;
  }

  /** Every live entry, nearest bucket last. */
  *entries(): IterableIterator<TableEntry> {
    for (const b of this.#buckets) yield* b.entries;
  }

  *nodes(): IterableIterator<DiscoveryNode> {
    for (const e of this.entries()) yield e.node;
  }

  /**
   * Add a node we heard of or from. Known nodes get their record refreshed (never their
   * endpoint: only a liveness check may move a node). A full bucket keeps it as a replacement.
   * `live`: the node just proved itself (a PONG), so it is answered in FINDNODE at once.
   * `protocol`: what it was heard through or spoke; a known node seen at its endpoint gains it.
   */
  add(node: DiscoveryNode, options: { live?: boolean; protocol?: DiscoveryProtocol } = {}): AddResult {
    if (compareDistance(this.selfId, node.id, this.selfId) === 0) return 'self';
    const key = nodeIdHex(node);
    const b = this.#buckets[this.bucketIndex(node.id)]!;
    const known = this.#byId.get(key);
    const protocol = options.protocol ?? this.#protocol;
    if (known) {
      // Another endpoint may be another instance of the node: it neither moves it nor vouches for it.
      if (!sameEndpoint(known.node, node)) return 'updated';
      if (node.enr && (!known.node.enr || node.enr.seq > known.node.enr.seq)) known.node = node;
      let state = known.protocols.get(protocol);
      if (!state) known.protocols.set(protocol, (state = { checks: 0, lastCheck: 0 }));
      if (options.live) {
        state.checks = Math.max(1, state.checks);
        state.lastCheck = this.#now();
      }
      sync(known);
      return 'updated';
    }
    if (b.entries.length >= BUCKET_SIZE) {
      if (!this.#takeIp(b, node)) return 'ip-limit';
      const entry = newEntry(node, protocol, 0, this.#now());
      b.replacements.push(entry);
      this.#byId.set(key, entry);
      if (b.replacements.length > MAX_REPLACEMENTS) this.#forget(b, b.replacements.shift()!);
      return 'replacement';
    }
    if (!this.#takeIp(b, node)) return 'ip-limit';
    const entry = newEntry(node, protocol, options.live ? 1 : 0, this.#now());
    b.entries.push(entry);
    this.#byId.set(key, entry);
    this.#added(node);
    return 'added';
  }

  /**
   * Drop a node; a random replacement of its bucket takes its place. With `protocol`, only that
   * protocol is struck off the node, and the node goes only if it speaks no other.
   */
  remove(id: Uint8Array, protocol?: DiscoveryProtocol): boolean {
    const e = this.#byId.get(nodeIdHex({ id }));
    if (!e) return false;
    if (protocol !== undefined) {
      if (!e.protocols.delete(protocol)) return false;
      if (e.protocols.size > 0) {
        sync(e);
        return true;
      }
    }
    const b = this.#buckets[this.bucketIndex(id)]!;
    const wasLive = b.entries.includes(e);
    this.#forget(b, e);
    if (wasLive) {
      this.#removed(e.node);
      if (b.replacements.length > 0) {
        const r = b.replacements.splice(randomIndex(b.replacements.length), 1)[0]!;
        b.entries.push(r);
        this.#added(r.node);
      }
    }
    return true;
  }

  /**
   * The n live nodes closest to target (32 bytes). With `preferLive`, nodes that passed a
   * liveness check come first if there are any (geth answers FINDNODE that way). With
   * `protocol`, only nodes that speak it, and only a check over it counts as live.
   */
  closest(
    target: Uint8Array,
    n: number,
    options: { preferLive?: boolean; filter?: (node: DiscoveryNode) => boolean; protocol?: DiscoveryProtocol } = {},
  ): DiscoveryNode[] {
    const { protocol } = options;
    let pool = [...this.entries()];
    if (protocol) pool = pool.filter((e) => e.protocols.has(protocol));
    if (options.filter) pool = pool.filter((e) => options.filter!(e.node));
    if (options.preferLive) {
      const live = pool.filter((e) => (protocol ? e.protocols.get(protocol)!.checks : e.livenessChecks) > 0);
      if (live.length > 0) pool = live;
    }
    pool.sort((a, b) => compareDistance(target, a.node.id, b.node.id));
    return pool.slice(0, n).map((e) => e.node);
  }

  /** Random live nodes, at most n (for seeding lookups and crawls). */
  random(n: number): DiscoveryNode[] {
    const all = [...this.nodes()];
    for (let i = all.length - 1; i > 0; i--) {
      const j = randomIndex(i + 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, n);
  }

  /**
   * One revalidation step over `protocol` (default the table's): the live node that speaks it
   * and was least recently checked over it (never-checked ones first) is checked with `check`.
   * Alive: its count for the protocol grows and a newer record replaces the old one. Dead: the
   * count is divided by 3, and at 0 the protocol is struck off the node; a node left with none
   * is removed and a replacement promoted. Returns the node checked, or undefined when none was.
   */
  async revalidate(
    check: (node: DiscoveryNode) => Promise<LivenessResult>,
    options: { minIntervalMs?: number; protocol?: DiscoveryProtocol } = {},
  ): Promise<DiscoveryNode | undefined> {
    const protocol = options.protocol ?? this.#protocol;
    let pick: TableEntry | undefined;
    let state: ProtocolState | undefined;
    for (const e of this.entries()) {
      const s = e.protocols.get(protocol);
      if (s && (!state || s.lastCheck < state.lastCheck)) [pick, state] = [e, s];
    }
    // A node checked (or proven by a PONG) within minIntervalMs needs no check yet.
    if (!pick || !state || (state.lastCheck > 0 && this.#now() - state.lastCheck < (options.minIntervalMs ?? 0))) return undefined;
    state.lastCheck = this.#now();
    sync(pick);
    let result: LivenessResult;
    try {
      result = await check(pick.node);
    } catch {
      result = { alive: false };
    }
    // It may have been removed, or the protocol struck off, while the check ran.
    if (this.get(pick.node.id) !== pick || pick.protocols.get(protocol) !== state) return pick.node;
    if (result.alive) {
      state.checks++;
      if (result.node && sameEndpoint(pick.node, result.node)) pick.node = result.node;
    } else {
      state.checks = Math.floor(state.checks / 3);
      if (state.checks === 0) this.remove(pick.node.id, protocol);
    }
    sync(pick);
    return pick.node;
  }

  #added(node: DiscoveryNode): void {
    this.onAdded?.(node);
    this.emit('added', node);
  }

  #removed(node: DiscoveryNode): void {
    this.onRemoved?.(node);
    this.emit('removed', node);
  }

  /** Count the node's subnet in the bucket and the table, unless that would pass a limit. */
  #takeIp(b: Bucket, node: DiscoveryNode): boolean {
    return this.#limits.take(node, [...b.entries, ...b.replacements]);
  }

  #forget(b: Bucket, e: TableEntry): void {
    b.entries = b.entries.filter((x) => x !== e);
    b.replacements = b.replacements.filter((x) => x !== e);
    this.#byId.delete(nodeIdHex(e.node));
    this.#limits.release(e.node);
  }
}

function sameEndpoint(a: DiscoveryNode, b: DiscoveryNode): boolean {
  return a.ip === b.ip && a.udp === b.udp;
}

function randomIndex(n: number): number {
  const r = randomBytes(4);
  return (((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) % n;
}

/** A table handed to a protocol to share: it must be the table of the same node. */
export function sharedTable(table: Table, selfId: Uint8Array): Table {
  if (!(table instanceof Table)) throw new TypeError('discovery: table must be a Table');
  if (compareDistance(selfId, table.selfId, selfId) !== 0) throw new RangeError("discovery: the shared table is another node's (its selfId differs)");
  return table;
}
