/**
 * A discv5 node: our record, a UDP port (our own, or one shared with discv4, which offers us
 * every datagram it does not claim), the session transport, the Kademlia table with its
 * liveness checks, the endpoint that answers PING, FINDNODE and TALKREQ, and the client calls
 * ping, findNode, requestEnr and lookup. Start it with `startDiscoveryV5`.
 */
import { abortable } from '../abort.js';
import { bytesToHex } from '../crypto/bytes.js';
import { randomBytes } from '../crypto/random.js';
import { nodeIdOf, publicKeyOf } from '../crypto/secp256k1.js';
import { parseEnode } from '../peer/enode.js';
import { decodeEnr, type Enr } from './enr.js';
import { lookup } from './lookup.js';
import { makeNode, nodeFromEnr, logDistance, type DiscoveryNode } from './node.js';
import { LocalRecord, type SelfRecordOptions } from './local-record.js';
import { NodeRuntime, refreshLookups } from './node-runtime.js';
import { ipBytes, relayError } from './netutil.js';
import { sharedTable, Table } from './table.js';
import { UdpPort } from './udp-port.js';
import { V5RequestError } from './v5-errors.js';
import type { V5Message } from './v5-message.js';
import { SourceRateLimit } from './v5-rate.js';
import { answer } from './v5-server.js';
import { V5Transport, type V5TransportOptions } from './v5-transport.js';

export interface DiscoveryV5Options
  extends SelfRecordOptions,
    Pick<V5TransportOptions, 'maxSessions' | 'sessionTtlMs' | 'packetRate' | 'challengeRate' | 'requestTimeoutMs' | 'maxPendingRequests'> {
  /** Bind address (default '0.0.0.0'); ignored when `udp` is given. Bind the address you announce. */
  host?: string;
  /** UDP port to bind (0: any). */
  port?: number;
  /** A port shared with discv4: it offers us what it does not claim; we leave it open on close. */
  udp?: UdpPort;
  /** Seeds: nodes, records, or "enr:" / "enode://" texts. */
  bootnodes?: readonly V5Target[];
  /** A table shared with discv4 (default: our own): we check and serve only its nodes that speak v5. */
  table?: Table;
  /** A record shared with discv4 (default: our own, from the record options). */
  record?: LocalRecord;
  /** One liveness check (PING) every this many ms (default 1,000; 0 turns checks off). */
  revalidateIntervalMs?: number;
  /** Table refresh (a self lookup and three random ones, also at start) interval (ms), default 30 min; 0: none. */
  refreshIntervalMs?: number;
  /** Requests served per second per source IP (default 200, bursts of 400). */
  requestRate?: number;
  signal?: AbortSignal;
}

export interface PongResult {
  enrSeq: bigint;
  /** Our address as the remote saw it. */
  ip: string;
  port: number;
}

export type V5Target = DiscoveryNode | Enr | string;

/** Distances asked per FINDNODE in a lookup (geth's lookupRequestLimit). */
export const LOOKUP_DISTANCES = 3;

/** The target's log-distance from `dest`, then its neighbours, within 1..256 (geth's order). */
export function lookupDistances(target: Uint8Array, dest: Uint8Array): number[] {
  const td = logDistance(target, dest);
  const out = td > 0 ? [td] : [];
  for (let i = 1; out.length < LOOKUP_DISTANCES && i < 256; i++) {
    if (td + i <= 256) out.push(td + i);
    if (td - i > 0 && out.length < LOOKUP_DISTANCES) out.push(td - i);
  }
  return out;
}

export class DiscoveryV5 implements AsyncDisposable {
  readonly table: Table;
  readonly transport: V5Transport;
  readonly id: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly bootnodes: readonly DiscoveryNode[];
  /** Requests refused for their rate, and records from NODES dropped for bad addresses or distances. */
  readonly serverCounters = { requests: 0, rateLimited: 0, badRecords: 0 };
  /** Our signed record (shared with discv4 when they run together). */
  readonly record: LocalRecord;
  readonly #port: UdpPort;
  readonly #ownsPort: boolean;
  readonly #requestLimit: SourceRateLimit;
  readonly #run = new NodeRuntime();
  readonly #removeHandler: () => void;
  #closing: Promise<void> | undefined;

  /** @internal Use startDiscoveryV5. */
  constructor(o: DiscoveryV5Options, port: UdpPort, ownsPort: boolean) {
    this.#port = port;
    this.#ownsPort = ownsPort;
    this.publicKey = publicKeyOf(o.privateKey);
    this.id = nodeIdOf(this.publicKey);
    this.record = o.record ?? new LocalRecord(o, port.address.host, port.address.port);
    this.table = o.table ? sharedTable(o.table, this.id) : new Table({ selfId: this.id, protocol: 'v5' });
    const rate = o.requestRate ?? 200;
    this.#requestLimit = new SourceRateLimit({ rate, burst: rate * 2 });
    this.bootnodes = (o.bootnodes ?? []).map(toNode);
    this.transport = new V5Transport({
      ...o,
      localId: this.id,
      localRecord: () => this.record.enr,
      send: (p, to) => this.#port.send(p, to),
      knownRecord: (id) => this.table.get(id)?.node.enr,
      onRequest: (req) => {
        this.serverCounters.requests++;
        if (!this.#requestLimit.take(req.from.ip)) {
          this.serverCounters.rateLimited++;
          return;
        }
        for (const m of answer(req, this.record.enr, this.table)) this.transport.respond(req.id, req.from, m);
      },
      onHandshake: (record, from) => {
        // Only a record whose endpoint is the one it spoke from goes in the table.
        const node = nodeFromEnr(record);
        if (node && node.ip === from.ip && node.udp === from.port) this.table.add(node, { protocol: 'v5' });
      },
    });
    // Last in line on a shared port: whatever reaches us is ours to decode or count.
    this.#removeHandler = port.addHandler((data, from) => {
      this.transport.handlePacket(data, from);
      return true;
    });
    for (const b of this.bootnodes) this.table.add(b, { protocol: 'v5' });
    const reval = o.revalidateIntervalMs ?? 1000;
    if (reval > 0) this.#run.every(reval, () => this.#revalidate(reval));
    // 0: no refresh at all, not even at start (the owner runs its own lookups, as a crawl does).
    const refresh = o.refreshIntervalMs ?? 30 * 60_000;
    if (refresh > 0) {
      this.#run.every(refresh, () => this.refresh());
      if (this.bootnodes.length > 0) void this.refresh();
    }
  }

  /** Our signed record. */
  get enr(): Enr {
    return this.record.enr;
  }

  get address(): { host: string; port: number } {
    return this.#port.address;
  }

  get counters(): V5Transport['counters'] & { sessions: number; pending: number; table: number } & DiscoveryV5['serverCounters'] {
    return { ...this.transport.counters, ...this.serverCounters, sessions: this.transport.sessionCount, pending: this.transport.pendingRequests, table: this.table.size };
  }

  async ping(target: V5Target, options: { signal?: AbortSignal } = {}): Promise<PongResult> {
    const [pong] = await this.transport.request(toNode(target), { type: 'ping', enrSeq: this.record.enr.seq }, this.#run.withClose(options));
    const p = pong as Extract<V5Message, { type: 'pong' }>;
    return { enrSeq: p.enrSeq, ip: p.ip, port: p.port };
  }

  /** The records a node returns for these log-distances, checked: each at a requested distance, relayable, UDP port over 1024. */
  async findNode(target: V5Target, distances: number[], options: { signal?: AbortSignal } = {}): Promise<Enr[]> {
    const node = toNode(target);
    const responses = await this.transport.request(node, { type: 'findnode', distances }, this.#run.withClose(options));
    const out = new Map<string, Enr>();
    const sender = ipBytes(node.ip);
    for (const r of responses) {
      if (r.type !== 'nodes') continue;
      for (const raw of r.records) {
        let enr: Enr;
        try {
          enr = decodeEnr(raw);
        } catch {
          this.serverCounters.badRecords++;
          continue;
        }
        const found = nodeFromEnr(enr);
        const ip = found ? ipBytes(found.ip) : undefined;
        const ok =
          found !== undefined &&
          distances.includes(logDistance(node.id, found.id)) &&
          ip !== undefined &&
          (!sender || relayError(sender, ip) === undefined) &&
          found.udp > 1024;
        if (!ok) {
          this.serverCounters.badRecords++;
          continue;
        }
        out.set(bytesToHex(found.id), enr);
      }
    }
    return [...out.values()];
  }

  /** The node's current record (FINDNODE at distance 0). */
  async requestEnr(target: V5Target, options: { signal?: AbortSignal } = {}): Promise<Enr> {
    const node = toNode(target);
    const [enr] = await this.findNode(node, [0], options);
    if (!enr) throw new V5RequestError('no-endpoint', `discv5: ${node.ip}:${node.udp} returned no record of itself`);
    return enr;
  }

  /**
   * The nodes closest to `target` (a 32-byte node id; random when omitted), found by asking
   * the network. Every node learned goes to `onFound` and the table (which checks it before
   * serving it to others).
   */
  async lookup(target: Uint8Array = randomBytes(32), options: { signal?: AbortSignal; onFound?: (node: DiscoveryNode, from: DiscoveryNode) => void } = {}): Promise<DiscoveryNode[]> {
    let seeds = this.table.closest(target, 16, { protocol: 'v5' });
    if (seeds.length === 0) seeds = [...this.bootnodes];
    const signal = this.#run.withClose(options).signal;
    return lookup({
      target,
      seeds,
      selfId: this.id,
      ...(signal ? { signal } : {}),
      query: async (n, s) => (await this.findNode(n, lookupDistances(target, n.id), s ? { signal: s } : {})).map((e) => nodeFromEnr(e)!),
      onFound: (n, from) => {
        this.table.add(n, { protocol: 'v5' });
        options.onFound?.(n, from);
      },
    });
  }

  /** A self lookup then three random ones (geth's refresh); errors are the lookups' own business. */
  refresh(options: { signal?: AbortSignal } = {}): Promise<void> {
    return refreshLookups((target) => this.lookup(target, options), this.id);
  }

  /** One liveness check: PING the least recently checked node, and fetch its record if it is newer. */
  async #revalidate(intervalMs: number): Promise<void> {
    await this.table.revalidate(
      async (node) => {
        const pong = await this.ping(node);
        if (pong.enrSeq > (node.enr?.seq ?? 0n)) {
          const enr = await this.requestEnr(node).catch(() => undefined);
          const fresh = enr && nodeFromEnr(enr);
          if (fresh && bytesToHex(fresh.id) === bytesToHex(node.id)) return { alive: true, node: fresh };
        }
        return { alive: true };
      },
      { minIntervalMs: intervalMs * 3, protocol: 'v5' },
    );
  }

  /** Stop timers, fail pending requests, and close the port if it is ours. */
  close(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#run.stop(new V5RequestError('closed', 'discv5: closed'));
      this.transport.close();
      this.#removeHandler();
      if (this.#ownsPort) await this.#port.close();
    })();
    return abortable(this.#closing, options.signal, () => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export async function startDiscoveryV5(options: DiscoveryV5Options): Promise<DiscoveryV5> {
  if (options.udp) return new DiscoveryV5(options, options.udp, false);
  const port = await UdpPort.bind({ host: options.host ?? '0.0.0.0', port: options.port ?? 0, ...(options.signal ? { signal: options.signal } : {}) });
  return new DiscoveryV5(options, port, true);
}

/** A node to talk to, from a table node, a record, or "enr:"/"enode://" text. */
export function toNode(target: V5Target): DiscoveryNode {
  if (typeof target === 'string') {
    if (target.startsWith('enode://')) {
      const e = parseEnode(target);
      return makeNode(e.id, e.host, e.discport ?? e.port, e.port);
    }
    target = decodeEnr(target);
  }
  if ('raw' in target) {
    const node = nodeFromEnr(target);
    if (!node) throw new V5RequestError('no-endpoint', 'discv5: the record has no UDP endpoint');
    return node;
  }
  return target;
}
