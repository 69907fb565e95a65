/**
 * discv4 and discv5 together, as one node: one UDP socket (discv4 claims its datagrams by their
 * hash, discv5 gets the rest), one Kademlia table and one signed record. geth v1.17 shares the
 * socket but keeps a table per protocol; here the table is one, each entry remembering which
 * protocols the node spoke (see table.ts), so:
 * - each protocol's liveness checks ping only the nodes that speak it, and a node leaves the
 *   table only when every protocol it speaks has failed (a v5-only node is never pinged over v4);
 * - v4 NEIGHBORS and v5 NODES are served from the one table, each with the nodes proven over its
 *   own protocol (v5 needs their records too);
 * - the lookups of both feed it, and a record one protocol fetched is there for the other;
 * - both serve the same record, and a change (`record.update`) bumps one seq for both.
 * With one protocol asked for, that protocol runs alone, exactly as startDiscoveryV4/V5 start it.
 */
import { abortable } from '../abort.js';
import { publicKeyOf, nodeIdOf } from '../crypto/secp256k1.js';
import { LocalRecord } from './local-record.js';
import { Table } from './table.js';
import { UdpPort } from './udp-port.js';
import { startDiscoveryV4, type DiscoveryV4, type DiscoveryV4Options } from './v4-discovery.js';
import { startDiscoveryV5, type DiscoveryV5, type DiscoveryV5Options } from './v5-node.js';

type Shared = 'udp' | 'table' | 'record' | 'host' | 'port' | 'signal' | 'bootnodes' | 'revalidateIntervalMs' | 'refreshIntervalMs';

export interface DiscoveryOptions extends Omit<DiscoveryV4Options, Shared>, Omit<DiscoveryV5Options, Shared | keyof DiscoveryV4Options> {
  /** Which protocols run (at least one). */
  protocols: { v4?: boolean; v5?: boolean };
  /** Bind address (default '0.0.0.0'); ignored when `udp` is given. */
  host?: string;
  /** UDP port to bind (0: any). */
  port?: number;
  /** A port of the caller's (left open on close). */
  udp?: UdpPort;
  /** enode:// or enr: texts, or nodes: each protocol's seeds. */
  bootnodes?: DiscoveryV4Options['bootnodes'];
  /** Each protocol's liveness check interval (ms); default theirs (v4 3,000, v5 1,000); 0: none. */
  revalidateIntervalMs?: number;
  /** Each protocol's refresh interval (ms), default 30 min; 0: none (the owner runs lookups). */
  refreshIntervalMs?: number;
  signal?: AbortSignal;
}

export class Discovery implements AsyncDisposable {
  readonly v4: DiscoveryV4 | undefined;
  readonly v5: DiscoveryV5 | undefined;
  /** The one table (with both protocols), or the one protocol's own. */
  readonly table: Table;
  /** The one record both serve, or the one protocol's own. */
  readonly record: LocalRecord;
  readonly udp: UdpPort;
  readonly #ownsPort: boolean;
  #closing: Promise<void> | undefined;

  /** @internal Use startDiscovery. */
  constructor(v4: DiscoveryV4 | undefined, v5: DiscoveryV5 | undefined, udp: UdpPort, ownsPort: boolean) {
    this.v4 = v4;
    this.v5 = v5;
    this.udp = udp;
    this.#ownsPort = ownsPort;
    const one = (v4 ?? v5)!;
    this.table = one.table;
    this.record = one.record;
  }

  get address(): { host: string; port: number } {
    return this.udp.address;
  }

  /** Close both protocols, then the socket if it is ours. */
  close(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#closing ??= (async () => {
      await this.v5?.close();
      await this.v4?.close();
      if (this.#ownsPort) await this.udp.close();
    })();
    return abortable(this.#closing, options.signal, () => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export async function startDiscovery(options: DiscoveryOptions): Promise<Discovery> {
  const { protocols, udp: given, host, port: portNumber, signal, ...rest } = options;
  if (!protocols.v4 && !protocols.v5) throw new RangeError('discovery: no protocol asked for (v4, v5 or both)');
  const udp = given ?? (await UdpPort.bind({ host: host ?? '0.0.0.0', port: portNumber ?? 0, ...(signal ? { signal } : {}) }));
  let v4: DiscoveryV4 | undefined;
  try {
    const common = { ...rest, udp, ...(signal ? { signal } : {}) };
    // Both: one table and one record, made here; one alone makes its own, as it always has.
    const shared =
      protocols.v4 && protocols.v5
        ? { table: new Table({ selfId: nodeIdOf(publicKeyOf(options.privateKey)) }), record: new LocalRecord(options, udp.address.host, udp.address.port) }
        : {};
    // discv4 first: it claims its own datagrams by their hash and passes the rest on.
    if (protocols.v4) v4 = await startDiscoveryV4({ ...common, ...shared });
    const v5 = protocols.v5 ? await startDiscoveryV5({ ...common, ...shared }) : undefined;
    return new Discovery(v4, v5, udp, given === undefined);
  } catch (err) {
    await v4?.close();
    if (!given) await udp.close();
    throw err;
  }
}
