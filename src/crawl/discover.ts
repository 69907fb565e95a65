/**
 * The discovery side of `rlpx crawl --discover v4`: a discv4 node whose bootnodes are the
 * crawl's seeds walks the network with random lookups; every node it hears of gets one
 * ENRREQUEST (as `devp2p discv4 crawl` does) and is handed to the crawl to be dialed once. It
 * ends when nothing new was heard of for `idleMs`. What it saw is kept for a geth nodes.json.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { formatEnode } from '../peer/enode.js';
import type { Enr } from '../discovery/enr.js';
import { ipBytes, isLoopback } from '../discovery/netutil.js';
import { startDiscoveryV4, type DiscoveryV4 } from '../discovery/v4-discovery.js';
import { nodeIdHex, type DiscoveryNode } from '../discovery/node.js';
import type { DialTarget } from './seeds.js';

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
  /** Each node found, once, ready to dial (after its ENRREQUEST, whatever its outcome). */
  onNode: (target: DialTarget) => void;
  signal?: AbortSignal;
}

export class NodeDiscovery {
  /** Nodes that answered an ENRREQUEST, by hex node id: what nodes.json holds. */
  readonly nodeSet = new Map<string, NodeSetEntry>();
  /** Nodes heard of (bootnodes included). */
  found = 0;
  enrFailures = 0;
  readonly #o: DiscoverOptions;
  readonly #seen = new Set<string>();
  readonly #queue: { node: DiscoveryNode; source: string; firstSeen: string }[] = [];
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
    const disc = await startDiscoveryV4({
      privateKey: this.#o.privateKey,
      host: this.#o.host ?? (loopback ? '127.0.0.1' : '0.0.0.0'),
      bootnodes: this.#o.bootnodes,
      refreshIntervalMs: 0,
      ...(signal ? { signal } : {}),
    });
    try {
      for (const b of this.#o.bootnodes) this.#heard(disc, b, 'bootnode');
      const idleMs = this.#o.idleMs ?? DISCOVER_DEFAULTS.idleSeconds * 1000;
      let first = true;
      while (!signal?.aborted) {
        const t0 = Date.now();
        try {
          await disc.lookup(first ? disc.publicKey : undefined, { ...(signal ? { signal } : {}), onFound: (n, from) => this.#heard(disc, n, `discv4:${nodeIdHex(from).slice(0, 16)}`) });
        } catch {
          if (signal?.aborted) break;
        }
        first = false;
        if (Date.now() - this.#lastNew > idleMs && this.#queue.length === 0 && this.#active === 0) break;
        // An empty table makes lookups instant: do not spin.
        if (Date.now() - t0 < 200) await sleep(200, signal);
      }
      // Let the ENRREQUESTs in flight finish (each is bounded by its timeouts).
      if (this.#active > 0 || this.#queue.length > 0) await new Promise<void>((r) => (this.#drained = r));
    } finally {
      await disc.close();
    }
  }

  #heard(disc: DiscoveryV4, node: DiscoveryNode, source: string): void {
    const key = nodeIdHex(node);
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.found++;
    this.#lastNew = Date.now();
    this.#queue.push({ node, source, firstSeen: new Date().toISOString() });
    this.#pump(disc);
  }

  #pump(disc: DiscoveryV4): void {
    while (this.#active < (this.#o.enrConcurrency ?? DISCOVER_DEFAULTS.enrConcurrency) && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#active++;
      disc
        .requestEnr(job.node, this.#o.signal ? { signal: this.#o.signal } : {})
        .then(
          (enr) => {
            const now = new Date().toISOString();
            this.nodeSet.set(nodeIdHex(job.node), { seq: Number(enr.seq), record: enr.toText(), score: 1, firstResponse: now, lastResponse: now, lastCheck: now });
            return enr;
          },
          () => {
            this.enrFailures++;
            return undefined;
          },
        )
        .then((enr) => {
          if (this.#o.signal?.aborted) return;
          const target = dialTarget(job.node, enr, job.source, job.firstSeen);
          if (target) this.#o.onNode(target);
        })
        .finally(() => {
          this.#active--;
          this.#pump(disc);
          if (this.#active === 0 && this.#queue.length === 0) this.#drained?.();
        });
    }
  }

  /** geth's nodes.json text: an object by node id, records as enr: text. */
  nodesJson(): string {
    const sorted = [...this.nodeSet.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify(Object.fromEntries(sorted), null, 4) + '\n';
  }
}

/** Where to dial a found node: its record's TCP endpoint, else what NEIGHBORS said. */
function dialTarget(node: DiscoveryNode, enr: Enr | undefined, source: string, firstSeen: string): DialTarget | undefined {
  const ep = enr?.tcpEndpoint ?? (node.tcp > 0 ? { host: node.ip, port: node.tcp, udp: node.udp } : undefined);
  if (!ep) return undefined;
  return {
    id: bytesToHex(node.id),
    publicKey: node.publicKey,
    enode: formatEnode({ id: node.publicKey, host: ep.host, port: ep.port, ...(ep.udp !== undefined ? { discport: ep.udp } : {}) }),
    host: ep.host,
    port: ep.port,
    ...(enr ? { enr } : {}),
    sources: [source],
    firstSeen,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
