/**
 * A discv5 node: our record, a UDP socket (our own, or a datagram hook on a socket shared with
 * discv4), the session transport, the shared Kademlia table with its liveness checks, the
 * endpoint that answers PING, FINDNODE and TALKREQ, and the client calls ping, findNode,
 * requestEnr and lookup.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { bytesToHex } from '../crypto/bytes.js';
import { randomBytes } from '../crypto/random.js';
import { nodeIdOf, publicKeyOf } from '../crypto/secp256k1.js';
import { parseEnode } from '../peer/enode.js';
import { decodeEnr, encodeEnr, type Enr, type RlpItem } from './enr.js';
import { makeNode, nodeFromEnr, logDistance, type DiscoveryNode } from './node.js';
import { ipBytes, relayError } from './netutil.js';
import { Table } from './table.js';
import { V5RequestError } from './v5-errors.js';
import { lookup } from './v5-lookup.js';
import type { V5Message } from './v5-message.js';
import { SourceRateLimit } from './v5-rate.js';
import { answer } from './v5-server.js';
import { V5Transport, type Endpoint, type V5TransportOptions } from './v5-transport.js';

export interface Discv5Options extends Pick<V5TransportOptions, 'maxSessions' | 'sessionTtlMs' | 'packetRate' | 'challengeRate' | 'requestTimeoutMs' | 'maxPendingRequests'> {
  privateKey: Uint8Array;
  /** Bind address (default 127.0.0.1) and UDP port (default 0: any free one). */
  host?: string;
  port?: number;
  /** The IP our record announces (default: the bind address unless it is a wildcard). */
  announceIp?: string;
  /** TCP port for the record (our RLPx listener), if any. */
  tcpPort?: number;
  /** More record entries, opaque to discovery (e.g. `eth`: the fork id list a chain gives). */
  enrEntries?: Record<string, RlpItem>;
  /** Seeds: records, "enr:" or "enode://" text. */
  bootnodes?: (Enr | string)[];
  /** A table shared with discv4 (default: our own). */
  table?: Table;
  /** One liveness check (PING) of the table every this many ms (default 1,000; 0 turns it off). */
  revalidateMs?: number;
  /** Requests served per second per source IP (default 200, bursts of 400). */
  requestRate?: number;
}

export interface PongResult {
  enrSeq: bigint;
  /** Our address as the remote saw it. */
  ip: string;
  port: number;
}

export type V5Target = DiscoveryNode | Enr | string;

export class Discv5 implements AsyncDisposable {
  readonly table: Table;
  readonly transport: V5Transport;
  readonly localId: Uint8Array;
  /** Requests refused for their rate, and records from NODES dropped for bad addresses or distances. */
  readonly serverCounters = { requests: 0, rateLimited: 0, badRecords: 0 };
  #enr: Enr;
  readonly #socket: Socket | undefined;
  readonly #sendOut: (p: Uint8Array, to: Endpoint) => void;
  readonly #requestLimit: SourceRateLimit;
  readonly #bootnodes: DiscoveryNode[];
  #revalidateTimer?: NodeJS.Timeout;
  #closed = false;

  private constructor(o: Discv5Options, enr: Enr, socket: Socket | undefined, send: (p: Uint8Array, to: Endpoint) => void) {
    this.#enr = enr;
    this.#socket = socket;
    this.#sendOut = send;
    this.localId = nodeIdOf(publicKeyOf(o.privateKey));
    this.table = o.table ?? new Table({ selfId: this.localId });
    const rate = o.requestRate ?? 200;
    this.#requestLimit = new SourceRateLimit({ rate, burst: rate * 2 });
    this.#bootnodes = (o.bootnodes ?? []).map(toNode);
    this.transport = new V5Transport({
      ...o,
      localId: this.localId,
      localRecord: () => this.#enr,
      send: (p, to) => this.#sendOut(p, to),
      knownRecord: (id) => this.table.get(id)?.node.enr,
      onRequest: (req) => {
        this.serverCounters.requests++;
        if (!this.#requestLimit.take(req.from.ip)) {
          this.serverCounters.rateLimited++;
          return;
        }
        for (const m of answer(req, this.#enr, this.table)) this.transport.respond(req.id, req.from, m);
      },
      onHandshake: (record, from) => {
        // Only a record whose endpoint is the one it spoke from goes in the table.
        const node = nodeFromEnr(record);
        if (node && node.ip === from.ip && node.udp === from.port) this.table.add(node);
      },
    });
    for (const b of this.#bootnodes) this.table.add(b);
    const every = o.revalidateMs ?? 1000;
    if (every > 0) {
      this.#revalidateTimer = setInterval(() => void this.#revalidate(), every);
      this.#revalidateTimer.unref();
    }
  }

  /** Bind a socket of our own and start. */
  static async start(o: Discv5Options): Promise<Discv5> {
    const host = o.host ?? '127.0.0.1';
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    socket.bind(o.port ?? 0, host);
    await Promise.race([once(socket, 'listening'), once(socket, 'error').then(([e]) => Promise.reject(e))]);
    const port = socket.address().port;
    const enr = makeRecord(o, host, port);
    const node = new Discv5(o, enr, socket, (p, to) => socket.send(p, to.port, to.ip, () => undefined));
    socket.on('message', (msg, rinfo) => node.transport.handlePacket(msg, { ip: rinfo.address, port: rinfo.port }));
    socket.on('error', () => undefined);
    return node;
  }

  /**
   * Run on a socket someone else owns (discv4's, to share the port): `send` writes a datagram,
   * and the owner passes each datagram it cannot use to `handlePacket`.
   */
  static attach(o: Discv5Options & { port: number }, send: (p: Uint8Array, to: Endpoint) => void): Discv5 {
    return new Discv5(o, makeRecord(o, o.host ?? '127.0.0.1', o.port), undefined, send);
  }

  handlePacket(data: Uint8Array, from: Endpoint): void {
    this.transport.handlePacket(data, from);
  }

  get enr(): Enr {
    return this.#enr;
  }

  get address(): Endpoint | undefined {
    if (!this.#socket) return undefined;
    const a = this.#socket.address();
    return { ip: a.address, port: a.port };
  }

  async ping(target: V5Target, options: { signal?: AbortSignal } = {}): Promise<PongResult> {
    const [pong] = await this.transport.request(toNode(target), { type: 'ping', reqId: new Uint8Array(0), enrSeq: this.#enr.seq }, options);
    const p = pong as Extract<V5Message, { type: 'pong' }>;
    return { enrSeq: p.enrSeq, ip: p.ip, port: p.port };
  }

  /** The records a node returns for these log-distances, checked: each at a requested distance, relayable, UDP port over 1024. */
  async findNode(target: V5Target, distances: number[], options: { signal?: AbortSignal } = {}): Promise<Enr[]> {
    const node = toNode(target);
    const responses = await this.transport.request(node, { type: 'findnode', reqId: new Uint8Array(0), distances }, options);
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
   * The nodes closest to `target` (default: a random id), found by asking the network. Every
   * node learned goes to `onFound` and the table (which checks it before serving it).
   */
  async lookup(target: Uint8Array = randomBytes(32), options: { signal?: AbortSignal; onFound?: (node: DiscoveryNode) => void } = {}): Promise<DiscoveryNode[]> {
    const seeds = this.table.closest(target, 16);
    for (const b of this.#bootnodes) if (!seeds.some((s) => bytesToHex(s.id) === bytesToHex(b.id))) seeds.push(b);
    return lookup({
      target,
      selfId: this.localId,
      seeds,
      signal: options.signal,
      onFound: (n) => {
        this.table.add(n);
        options.onFound?.(n);
      },
      findNode: async (n, distances, signal) => {
        const enrs = await this.findNode(n, distances, { ...(signal ? { signal } : {}) });
        return enrs.map((e) => nodeFromEnr(e)!);
      },
    });
  }

  /** One liveness check: PING the least recently checked node, and fetch its record if it is newer. */
  async #revalidate(): Promise<void> {
    if (this.#closed) return;
    await this.table.revalidate(async (node) => {
      const pong = await this.ping(node);
      if (!node.enr || pong.enrSeq > node.enr.seq) {
        const enr = await this.requestEnr(node).catch(() => undefined);
        const fresh = enr && nodeFromEnr(enr);
        if (fresh && bytesToHex(fresh.id) === bytesToHex(node.id)) return { alive: true, node: fresh };
      }
      return { alive: true };
    });
  }

  async close(_options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#revalidateTimer);
    this.transport.close();
    if (this.#socket) await new Promise<void>((resolve) => this.#socket!.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function makeRecord(o: Discv5Options, host: string, port: number): Enr {
  const wildcard = host === '0.0.0.0' || host === '::';
  const ip = o.announceIp ?? (wildcard ? undefined : host);
  const v6 = ip?.includes(':');
  return encodeEnr(
    {
      seq: BigInt(Date.now()),
      ...(ip !== undefined ? (v6 ? { ip6: ip, udp6: port } : { ip, udp: port }) : {}),
      ...(o.tcpPort !== undefined ? (v6 ? { tcp6: o.tcpPort } : { tcp: o.tcpPort }) : {}),
      ...(o.enrEntries ? { extra: o.enrEntries } : {}),
    },
    o.privateKey,
  );
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
