/**
 * The discovery side of `rlpx crawl --discover v4|v5|v4,v5`: a discv4 and/or discv5 node (one
 * UDP socket, table and record) whose bootnodes are the crawl's seeds walks the network with random lookups;
 * every node it hears of gets one record request (ENRREQUEST in v4, FINDNODE at distance 0 in
 * v5, as `devp2p discv4|discv5 crawl` do) and is handed to the crawl to be dialed once, with the
 * protocols that had found it by then. It ends when nothing new was heard of for `idleMs`.
 * What it saw is kept for a geth nodes.json.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { formatEnode } from '../peer/enode.js';
import type { Enr } from '../discovery/enr.js';
import { ipBytes, isLoopback } from '../discovery/netutil.js';
import { startDiscovery } from '../discovery/discovery.js';
import type { DiscoveryV4 } from '../discovery/v4-discovery.js';
import type { DiscoveryV5 } from '../discovery/v5-node.js';
import { nodeFromEnr, nodeIdHex, type DiscoveryNode } from '../discovery/node.js';
import { addAlternate, type AddressSource, type DialTarget, type Endpoint } from './seeds.js';


/** The log-distances a v5 crawl asks each node for, one FINDNODE per group: 256..254, then 253..241. */
const V5_NEIGHBOURHOOD: readonly number[][] = [[256, 255, 254], Array.from({ length: 13 }, (_, i) => 253 - i)];

export const DISCOVER_DEFAULTS = Object.freeze({
  /** Seconds without a new node before discovery ends. */
  idleSeconds: 30,
  /** ENRREQUESTs (each with its bond dance) in flight at once: devp2p crawl's 16 workers. */
  enrConcurrency: 16,
});

/** One entry of geth's nodes.json (cmd/devp2p nodeset.go), by node id. */
export interface NodeSetEntry {
  seq: number;
  record: string;
  score?: number;
  firstResponse?: string;
  lastResponse?: string;
  lastCheck?: string;
}

export interface DiscoverOptions {
  privateKey: Uint8Array;
  bootnodes: readonly DiscoveryNode[];
  idleMs?: number;
  enrConcurrency?: number;
  /** UDP bind address: default 127.0.0.1 when every bootnode is on loopback, else 0.0.0.0. */
  host?: string;
  /** Keep each record for nodesJson() (default true); without, only the count of answers is kept. */
  keepRecords?: boolean;
  /** Which protocols walk the network (default: v4 alone). */
  protocols?: { v4: boolean; v5: boolean };
  /** Each node found, once, ready to dial (after its ENRREQUEST, whatever its outcome). */
  onNode: (target: DialTarget) => void;
  signal?: AbortSignal;
}

export class NodeDiscovery {
  /** Nodes that answered an ENRREQUEST, by hex node id: what nodes.json holds (empty without keepRecords). */
  readonly nodeSet = new Map<string, NodeSetEntry>();
  /** Nodes that answered an ENRREQUEST. */
  answered = 0;
  /** Nodes heard of (bootnodes included). */
  found = 0;
  /** Nodes heard of through each protocol (a node both found counts in both). */
  readonly foundBy = { discv4: 0, discv5: 0 };
  enrFailures = 0;
  readonly #o: DiscoverOptions;
  /**
   * Per node heard of: the first source through each protocol (for its JSON line) until it is
   * handed to the crawl; after that only which protocols found it (a bit each), for foundBy.
   */
  readonly #sources = new Map<string, string[] | number>();
  readonly #queue: { node: DiscoveryNode; source: string; firstSeen: string }[] = [];
  #v4: DiscoveryV4 | undefined;
  #v5: DiscoveryV5 | undefined;
  /** Our own node id (hex): never queued. */
  #self = '';
  #active = 0;
  #lastNew = Date.now();
  #drained: (() => void) | undefined;

  constructor(options: DiscoverOptions) {
    this.#o = options;
  }

  async run(): Promise<void> {
    const { signal } = this.#o;
    const loopback = this.#o.bootnodes.length > 0 && this.#o.bootnodes.every((b) => {
      const ip = ipBytes(b.ip);
      return ip !== undefined && isLoopback(ip);
    });
    const want = this.#o.protocols ?? { v4: true, v5: false };
    // One socket, table and record for both, as in `listen`: what one protocol learns the other can use.
    const disc = await startDiscovery({
      protocols: want,
      privateKey: this.#o.privateKey,
      host: this.#o.host ?? (loopback ? '127.0.0.1' : '0.0.0.0'),
      bootnodes: this.#o.bootnodes,
      refreshIntervalMs: 0,
      ...(signal ? { signal } : {}),
    });
    try {
      this.#v4 = disc.v4;
      this.#v5 = disc.v5;
      this.#self = nodeIdHex((this.#v4 ?? this.#v5)!);
      for (const b of this.#o.bootnodes) this.#heard(b, 'bootnode');
      const idleMs = this.#o.idleMs ?? DISCOVER_DEFAULTS.idleSeconds * 1000;
      let first = true;
      while (!signal?.aborted) {
        const t0 = Date.now();
        const opts = signal ? { signal } : {};
        const v4 = this.#v4;
        const v5 = this.#v5;
        await Promise.allSettled([
          v4?.lookup(first ? v4.publicKey : undefined, { ...opts, onFound: (n, from) => this.#heard(n, `discv4:${nodeIdHex(from).slice(0, 16)}`) }),
          v5?.lookup(first ? v5.id : undefined, { ...opts, onFound: (n, from) => this.#heard(n, `discv5:${nodeIdHex(from).slice(0, 16)}`) }),
        ]);
        if (signal?.aborted) break;
        first = false;
        if (Date.now() - this.#lastNew > idleMs && this.#queue.length === 0 && this.#active === 0) break;
        // An empty table makes lookups instant: do not spin.
        if (Date.now() - t0 < 200) await sleep(200, signal);
      }
      // Let the record requests in flight finish (each is bounded by its timeouts).
      if (this.#active > 0 || this.#queue.length > 0) await new Promise<void>((r) => (this.#drained = r));
    } finally {
      await disc.close();
    }
  }

  #heard(node: DiscoveryNode, source: string): void {
    const key = nodeIdHex(node);
    if (key === this.#self) return; // never ourselves
    const proto = source.startsWith('discv5:') ? 'discv5' : source.startsWith('discv4:') ? 'discv4' : undefined;
    const sources = this.#sources.get(key);
    if (sources !== undefined) {
      // Known already: remember the other protocol found it too (it shows if it is not dialed yet).
      if (proto && !(protocolBits(sources) & PROTOCOL_BIT[proto])) {
        if (typeof sources === 'number') this.#sources.set(key, sources | PROTOCOL_BIT[proto]);
        else sources.push(source);
        this.foundBy[proto]++;
      }
      return;
    }
    this.#sources.set(key, [source]);
    if (proto) this.foundBy[proto]++;
    this.found++;
    this.#lastNew = Date.now();
    this.#queue.push({ node, source, firstSeen: new Date().toISOString() });
    this.#pump();
  }

  /** The record request of the protocol that found the node (v5 for a v5 find or a v5-only walk). */
  #requestEnr(job: { node: DiscoveryNode; source: string }): Promise<Enr> {
    const opts = this.#o.signal ? { signal: this.#o.signal } : {};
    if (this.#v5 && (!this.#v4 || job.source.startsWith('discv5:'))) return this.#v5.requestEnr(job.node, opts);
    return this.#v4!.requestEnr(job.node, opts);
  }

  #pump(): void {
    while (this.#active < (this.#o.enrConcurrency ?? DISCOVER_DEFAULTS.enrConcurrency) && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#active++;
      this.#visit(job).finally(() => {
        this.#active--;
        this.#pump();
        if (this.#active === 0 && this.#queue.length === 0) this.#drained?.();
      });
    }
  }

  /** The record request, hand the node to the crawl, then ask it for its neighbourhood. */
  async #visit(job: { node: DiscoveryNode; source: string; firstSeen: string }): Promise<void> {
    const opts = this.#o.signal ? { signal: this.#o.signal } : {};
    const viaV5 = this.#v5 !== undefined && (!this.#v4 || job.source.startsWith('discv5:'));
    let enr: Enr | undefined;
    try {
      enr = await this.#requestEnr(job);
      this.answered++;
      if (this.#o.keepRecords !== false) {
        const now = new Date().toISOString();
        this.nodeSet.set(nodeIdHex(job.node), { seq: Number(enr.seq), record: enr.toText(), score: 1, firstResponse: now, lastResponse: now, lastCheck: now });
      }
    } catch {
      this.enrFailures++;
    }
    if (this.#o.signal?.aborted) return;
    const key = nodeIdHex(job.node);
    const sources = this.#sources.get(key);
    const target = dialTarget(job.node, enr, Array.isArray(sources) ? sources : [job.source], job.firstSeen);
    // Handed over: from now on only which protocols found it.
    this.#sources.set(key, protocolBits(sources ?? 0));
    if (target) this.#o.onNode(target);
    if (!enr) return;
    // Every node reporting its own neighbourhood walks the whole network, where random lookups
    // alone leave stragglers in sparse corners. In v5: its three fullest buckets, then the next
    // thirteen in one more request (a reply holds at most 16 records), so a node that sits close
    // to the only node that knows it (as in a network joined through one bootnode) is found too.
    const from = nodeIdHex(job.node).slice(0, 16);
    try {
      if (viaV5) {
        for (const distances of V5_NEIGHBOURHOOD) {
          for (const r of await this.#v5!.findNode(job.node, distances, opts)) {
            const n = nodeFromEnr(r);
            if (n) this.#heard(n, `discv5:${from}`);
          }
        }
      } else {
        for (const n of await this.#v4!.findNode(job.node, job.node.publicKey, opts)) this.#heard(n, `discv4:${from}`);
      }
    } catch {
      // no neighbours from this one
    }
  }

  /** geth's nodes.json text: an object by node id, records as enr: text. */
  nodesJson(): string {
    const sorted = [...this.nodeSet.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify(Object.fromEntries(sorted), null, 4) + '\n';
  }
}

/**
 * Where to dial a found node: every distinct TCP address it has, each once: its record's
 * ip/tcp, then its ip6/tcp6, then where discovery met it (a NEIGHBORS entry that may differ from
 * the record, a bootnode's seed). None when it has no TCP port anywhere.
 */
function dialTarget(node: DiscoveryNode, enr: Enr | undefined, sources: string[], firstSeen: string): DialTarget | undefined {
  type Found = Endpoint & { from: AddressSource };
  const at = (host: string | undefined, port: number | undefined, udp: number | undefined, from: AddressSource): Found | undefined =>
    host === undefined || !port ? undefined : { enode: formatEnode({ id: node.publicKey, host, port, ...(udp ? { discport: udp } : {}) }), host, port, from };
  const [first, ...rest] = [
    enr && at(enr.ip, enr.tcp, enr.udp, 'enr'),
    enr && at(enr.ip6, enr.tcp6 ?? enr.tcp, enr.udp6 ?? enr.udp, 'enr6'),
    at(node.ip, node.tcp, node.udp, 'discovery'),
  ].filter((e): e is Found => e !== undefined);
  if (!first) return undefined;
  const target: DialTarget = {
    id: bytesToHex(node.id),
    publicKey: node.publicKey,
    enode: first.enode,
    host: first.host,
    port: first.port,
    ...(enr ? { enr } : {}),
    sources: [...sources],
    firstSeen,
    dialEvery: true,
    from: first.from,
  };
  // Each distinct host and port once: the same address in the record and in NEIGHBORS is one.
  for (const ep of rest) addAlternate(target, ep);
  return target;
}

const PROTOCOL_BIT = { discv4: 1, discv5: 2 } as const;

/** The protocols (PROTOCOL_BIT) among a node's sources. */
function protocolBits(sources: string[] | number): number {
  if (typeof sources === 'number') return sources;
  let bits = 0;
  for (const s of sources) {
    if (s.startsWith('discv4:')) bits |= PROTOCOL_BIT.discv4;
    else if (s.startsWith('discv5:')) bits |= PROTOCOL_BIT.discv5;
  }
  return bits;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
