/**
 * The Kademlia table shared by discv4 and discv5, as geth keeps it: 17 buckets of 16 live
 * entries plus 10 replacements each, for the log-distances 240..256 (everything nearer falls in
 * the first bucket), at most 2 nodes of one /24 per bucket and 10 per table (LAN and loopback
 * exempt). Its size is bounded by 17 × 26 entries whatever remotes send.
 *
 * It knows no protocol: liveness checks are a callback the protocol provides (a v4 PING, a v5
 * PING), and `revalidate()` is one step of geth's revalidation, which the owner schedules.
 */
import { randomBytes } from '../crypto/random.js';
import { compareDistance, logDistance, nodeIdHex, type DiscoveryNode } from './node.js';
import { ipBytes, isLan, subnetKey } from './netutil.js';

export const BUCKET_SIZE = 16;
export const MAX_REPLACEMENTS = 10;
export const N_BUCKETS = 17;
/** Log-distances up to this one share bucket 0. */
export const BUCKET_MIN_DISTANCE = 256 - N_BUCKETS;
export const BUCKET_IP_LIMIT = 2;
export const TABLE_IP_LIMIT = 10;

export interface TableEntry {
  node: DiscoveryNode;
  /** When it entered the table (ms since epoch). */
  readonly added: number;
  /** Successful liveness checks; divided by 3 on a failed one, as geth does. */
  livenessChecks: number;
  /** When it was last checked (0: never). */
  lastCheck: number;
}

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
  now?: () => number;
}

export class Table {
  readonly selfId: Uint8Array;
  readonly #buckets: Bucket[] = Array.from({ length: N_BUCKETS }, () => ({ entries: [], replacements: [] }));
  readonly #byId = new Map<string, TableEntry>();
  readonly #subnets = new Map<string, number>();
  readonly #now: () => number;
  /** Called with each node that enters the live entries and each that leaves them. */
  onAdded?: (node: DiscoveryNode) => void;
  onRemoved?: (node: DiscoveryNode) => void;

  constructor(options: TableOptions) {
    if (!(options.selfId instanceof Uint8Array) || options.selfId.length !== 32) throw new TypeError('table: selfId must be 32 bytes');
    this.selfId = options.selfId;
    this.#now = options.now ?? Date.now;
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
   */
  add(node: DiscoveryNode, options: { live?: boolean } = {}): AddResult {
    if (compareDistance(this.selfId, node.id, this.selfId) === 0) return 'self';
    const key = nodeIdHex(node);
    const b = this.#buckets[this.bucketIndex(node.id)]!;
    const known = this.#byId.get(key);
    if (known) {
      if (node.enr && (!known.node.enr || node.enr.seq > known.node.enr.seq) && sameEndpoint(known.node, node)) known.node = node;
      if (options.live && sameEndpoint(known.node, node)) {
        known.livenessChecks = Math.max(1, known.livenessChecks);
        known.lastCheck = this.#now();
      }
      return 'updated';
    }
    const ip = ipBytes(node.ip);
    if (b.entries.length >= BUCKET_SIZE) {
      if (!this.#takeIp(b, ip)) return 'ip-limit';
      const entry = this.#entry(node, 0);
      b.replacements.push(entry);
      this.#byId.set(key, entry);
      if (b.replacements.length > MAX_REPLACEMENTS) this.#forget(b, b.replacements.shift()!);
      return 'replacement';
    }
    if (!this.#takeIp(b, ip)) return 'ip-limit';
    const entry = this.#entry(node, options.live ? 1 : 0);
    b.entries.push(entry);
    this.#byId.set(key, entry);
    this.onAdded?.(node);
    return 'added';
  }

  /** Drop a node; a random replacement of its bucket takes its place. */
  remove(id: Uint8Array): boolean {
    const e = this.#byId.get(nodeIdHex({ id }));
    if (!e) return false;
    const b = this.#buckets[this.bucketIndex(id)]!;
    const wasLive = b.entries.includes(e);
    this.#forget(b, e);
    if (wasLive) {
      this.onRemoved?.(e.node);
      if (b.replacements.length > 0) {
        const r = b.replacements.splice(randomIndex(b.replacements.length), 1)[0]!;
        b.entries.push(r);
        this.onAdded?.(r.node);
      }
    }
    return true;
  }

  /**
   * The n live nodes closest to target (32 bytes). With `preferLive`, nodes that passed a
   * liveness check come first if there are any (geth answers FINDNODE that way).
   */
  closest(target: Uint8Array, n: number, options: { preferLive?: boolean; filter?: (node: DiscoveryNode) => boolean } = {}): DiscoveryNode[] {
    let pool = [...this.entries()];
    if (options.filter) pool = pool.filter((e) => options.filter!(e.node));
    if (options.preferLive) {
      const live = pool.filter((e) => e.livenessChecks > 0);
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
   * One revalidation step: the least recently checked live node (never-checked ones first) is
   * checked with `check`. Alive: its check count grows and a newer record replaces the old one.
   * Dead: its count is divided by 3, and at 0 it is removed and a replacement promoted.
   * Returns the node checked, or undefined when there was none to check.
   */
  async revalidate(check: (node: DiscoveryNode) => Promise<LivenessResult>, options: { minIntervalMs?: number } = {}): Promise<DiscoveryNode | undefined> {
    let pick: TableEntry | undefined;
    for (const e of this.entries()) {
      if (!pick || e.lastCheck < pick.lastCheck) pick = e;
    }
    // A node checked (or proven by a PONG) within minIntervalMs needs no check yet.
    if (!pick || (pick.lastCheck > 0 && this.#now() - pick.lastCheck < (options.minIntervalMs ?? 0))) return undefined;
    pick.lastCheck = this.#now();
    let result: LivenessResult;
    try {
      result = await check(pick.node);
    } catch {
      result = { alive: false };
    }
    // It may have been removed while the check ran.
    if (this.get(pick.node.id) !== pick) return pick.node;
    if (result.alive) {
      pick.livenessChecks++;
      if (result.node && sameEndpoint(pick.node, result.node)) pick.node = result.node;
    } else {
      pick.livenessChecks = Math.floor(pick.livenessChecks / 3);
      if (pick.livenessChecks === 0) this.remove(pick.node.id);
    }
    return pick.node;
  }

  #entry(node: DiscoveryNode, livenessChecks: number): TableEntry {
    return { node, added: this.#now(), livenessChecks, lastCheck: livenessChecks > 0 ? this.#now() : 0 };
  }

  /** Count the node's /24 in the bucket and the table, unless that would pass a limit. */
  #takeIp(b: Bucket, ip: Uint8Array | undefined): boolean {
    if (!ip || isLan(ip)) return true;
    const key = subnetKey(ip);
    if ((this.#subnets.get(key) ?? 0) >= TABLE_IP_LIMIT) return false;
    let inBucket = 0;
    for (const e of [...b.entries, ...b.replacements]) {
      const other = ipBytes(e.node.ip);
      if (other && !isLan(other) && subnetKey(other) === key) inBucket++;
    }
    if (inBucket >= BUCKET_IP_LIMIT) return false;
    this.#subnets.set(key, (this.#subnets.get(key) ?? 0) + 1);
    return true;
  }

  #forget(b: Bucket, e: TableEntry): void {
    b.entries = b.entries.filter((x) => x !== e);
    b.replacements = b.replacements.filter((x) => x !== e);
    this.#byId.delete(nodeIdHex(e.node));
    const ip = ipBytes(e.node.ip);
    if (ip && !isLan(ip)) {
      const key = subnetKey(ip);
      const n = (this.#subnets.get(key) ?? 1) - 1;
      if (n > 0) this.#subnets.set(key, n);
      else this.#subnets.delete(key);
    }
  }
}

function sameEndpoint(a: DiscoveryNode, b: DiscoveryNode): boolean {
  return a.ip === b.ip && a.udp === b.udp;
}

function randomIndex(n: number): number {
  const r = randomBytes(4);
  return (((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) % n;
}
