/**
 * A discovery v4 node: a UDP endpoint (its own, or a UdpPort shared with discv5), our signed
 * record, the Kademlia table with its liveness checks, and lookups. Start it with
 * `startDiscoveryV4`, close it with `close()` or `await using`.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { abortable } from '../abort.js';
import { randomBytes } from '../crypto/random.js';
import { keccak256 } from '../crypto/keccak.js';
import { publicKeyOf } from '../crypto/secp256k1.js';
import { parseEnode } from '../peer/enode.js';
import { decodeEnr, type Enr } from './enr.js';
import { lookup } from './lookup.js';
import { makeNode, nodeFromEnr, nodeToEnode, type DiscoveryNode } from './node.js';
import { LocalRecord, recordEndpoint, type SelfRecordOptions } from './local-record.js';
import { NodeRuntime, refreshLookups } from './node-runtime.js';
import { sharedTable, Table } from './table.js';
import { UdpPort } from './udp-port.js';
import { V4Udp, type V4Counters, type V4Limits } from './v4-udp.js';

export interface DiscoveryV4Options extends SelfRecordOptions {
  /** Bind address (default '0.0.0.0'); ignored when `udp` is given. Bind the address you announce. */
  host?: string;
  /** UDP port to bind (0: any). */
  port?: number;
  /** A port shared with another protocol (discv5); we add our handler first and leave it open on close. */
  udp?: UdpPort;
  /** A table shared with discv5 (default: our own): we check and serve only its nodes that speak v4. */
  table?: Table;
  /** A record shared with discv5 (default: our own, from the record options). */
  record?: LocalRecord;
  /** enode:// or enr: texts, or nodes: where lookups start when the table is empty. */
  bootnodes?: readonly (string | DiscoveryNode)[];
  limits?: V4Limits;
  /** Liveness check interval (ms), default 3000; 0 turns checks off. */
  revalidateIntervalMs?: number;
  /** Table refresh (a self lookup and random lookups) at start and every so many ms, default 30 min; 0: never (the owner runs lookups). */
  refreshIntervalMs?: number;
  signal?: AbortSignal;
}

export interface DiscoveryV4Events {
  /** A node entered the table's live entries (on a shared table: whatever protocol found it). */
  added: [node: DiscoveryNode];
  removed: [node: DiscoveryNode];
}

export function parseBootnode(b: string | DiscoveryNode): DiscoveryNode {
  if (typeof b !== 'string') return b;
  if (b.trim().startsWith('enr:')) {
    const n = nodeFromEnr(decodeEnr(b));
    if (!n) throw new RangeError(`bootnode ${b.slice(0, 20)}…: record has no UDP endpoint`);
    return n;
  }
  const e = parseEnode(b);
  if (!isIP(e.host)) throw new RangeError(`bootnode ${e.host}: needs an IP address, not a name`);
  return makeNode(e.id, e.host, e.discport ?? e.port, e.port);
}

export class DiscoveryV4 extends EventEmitter<DiscoveryV4Events> implements AsyncDisposable {
  readonly publicKey: Uint8Array;
  readonly id: Uint8Array;
  readonly table: Table;
  /** Our signed record (shared with discv5 when they run together). */
  readonly record: LocalRecord;
  readonly bootnodes: readonly DiscoveryNode[];
  readonly #udp: V4Udp;
  readonly #port: UdpPort;
  readonly #ownsPort: boolean;
  readonly #unsubscribe: () => void;
  readonly #run = new NodeRuntime();
  #closing: Promise<void> | undefined;

  /** @internal Use startDiscoveryV4. */
  constructor(options: DiscoveryV4Options, port: UdpPort, ownsPort: boolean) {
    super();
    this.publicKey = publicKeyOf(options.privateKey);
    this.id = keccak256(this.publicKey);
    this.#port = port;
    this.#ownsPort = ownsPort;
    const { host, port: udpPort } = port.address;
    this.record = options.record ?? new LocalRecord(options, host, udpPort);
    this.table = options.table ? sharedTable(options.table, this.id) : new Table({ selfId: this.id });
    const added = (n: DiscoveryNode): boolean => this.emit('added', n);
    const removed = (n: DiscoveryNode): boolean => this.emit('removed', n);
    this.table.on('added', added).on('removed', removed);
    this.#unsubscribe = () => this.table.off('added', added).off('removed', removed);
    this.bootnodes = (options.bootnodes ?? []).map(parseBootnode);
    this.#udp = new V4Udp({
      privateKey: options.privateKey,
      publicKey: this.publicKey,
      port,
      table: this.table,
      record: () => this.record.enr,
      self: () => recordEndpoint(this.record.enr),
      ...(options.limits ? { limits: options.limits } : {}),
      onInbound: (n) => this.table.add(n, { live: true, protocol: 'v4' }),
    });
    for (const b of this.bootnodes) this.table.add(b, { protocol: 'v4' });
    const reval = options.revalidateIntervalMs ?? 3000;
    if (reval > 0) this.#run.every(reval, () => this.#revalidate(reval));
    const refresh = options.refreshIntervalMs ?? 30 * 60_000;
    if (refresh > 0) {
      this.#run.every(refresh, () => this.refresh());
      void this.refresh();
    }
  }

  /** Our signed record. */
  get enr(): Enr {
    return this.record.enr;
  }

  get enode(): string {
    const { ip, udp, tcp } = recordEndpoint(this.record.enr);
    return nodeToEnode(makeNode(this.publicKey, ip, udp, tcp));
  }

  get address(): { host: string; port: number } {
    return this.#port.address;
  }

  get counters(): V4Counters & { pending: number; bonds: number; table: number } {
    return { ...this.#udp.counters, pending: this.#udp.pending, bonds: this.#udp.bonds.size, table: this.table.size };
  }

  ping(node: DiscoveryNode, options: { signal?: AbortSignal } = {}): Promise<{ enrSeq: bigint }> {
    return this.#udp.ping(node, this.#run.withClose(options));
  }

  requestEnr(node: DiscoveryNode, options: { signal?: AbortSignal } = {}): Promise<Enr> {
    return this.#udp.requestEnr(node, this.#run.withClose(options));
  }

  findNode(node: DiscoveryNode, target: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<DiscoveryNode[]> {
    return this.#udp.findNode(node, target, this.#run.withClose(options));
  }

  /**
   * Iterative lookup of the 16 nodes closest to `target` (a 64-byte public key; random when
   * omitted). Every node found goes into the table and to `onFound`.
   */
  async lookup(target?: Uint8Array, options: { signal?: AbortSignal; onFound?: (node: DiscoveryNode, from: DiscoveryNode) => void } = {}): Promise<DiscoveryNode[]> {
    const pub = target ?? randomBytes(64);
    const targetId = keccak256(pub);
    let seeds = this.table.closest(targetId, 16, { protocol: 'v4' });
    if (seeds.length === 0) seeds = [...this.bootnodes];
    const signal = this.#run.withClose(options).signal;
    return lookup({
      target: targetId,
      seeds,
      selfId: this.id,
      ...(signal ? { signal } : {}),
      query: (n, s) => this.#udp.findNode(n, pub, s ? { signal: s } : {}),
      onFound: (n, from) => {
        this.table.add(n, { protocol: 'v4' });
        options.onFound?.(n, from);
      },
      onQueried: (n, ok) => {
        if (ok || this.#udp.bonds.findFails(n.id, n.ip) < 5) return;
        // geth keeps failing nodes in small buckets, so tiny networks do not lose their only contacts.
        if (this.table.bucketFill(n.id) >= 4) this.table.remove(n.id, 'v4');
      },
    });
  }

  /** A self lookup then three random ones (geth's refresh); errors are the lookups' own business. */
  refresh(options: { signal?: AbortSignal } = {}): Promise<void> {
    return refreshLookups((target) => this.lookup(target, options), this.publicKey);
  }

  async #revalidate(minIntervalMs: number): Promise<void> {
    await this.table.revalidate(
      async (n) => {
        const { enrSeq } = await this.#udp.ping(n, this.#run.withClose({}));
        if (enrSeq > (n.enr?.seq ?? 0n)) {
          try {
            const enr = await this.#udp.requestEnr(n, this.#run.withClose({}));
            return { alive: true, node: { ...n, enr } };
          } catch {
            return { alive: true };
          }
        }
        return { alive: true };
      },
      { minIntervalMs: minIntervalMs * 3, protocol: 'v4' },
    );
  }

  /** Stop timers, fail pending requests, and close the socket if it is ours. */
  close(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#run.stop(new Error('discv4: closed'));
      this.#unsubscribe();
      this.#udp.close();
      if (this.#ownsPort) await this.#port.close();
    })();
    return abortable(this.#closing, options.signal, () => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export async function startDiscoveryV4(options: DiscoveryV4Options): Promise<DiscoveryV4> {
  if (options.udp) return new DiscoveryV4(options, options.udp, false);
  const port = await UdpPort.bind({ host: options.host ?? '0.0.0.0', port: options.port ?? 0, ...(options.signal ? { signal: options.signal } : {}) });
  return new DiscoveryV4(options, port, true);
}
