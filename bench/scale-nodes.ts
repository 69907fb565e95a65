/**
 * The peers a scale child holds, for each library: one listening node (optional) and the
 * peers it dialed. The child (bench/scale-worker.ts) picks one with `scaleNode(impl)` and never
 * touches either library's API itself.
 */
import { once } from 'node:events';
import { Socket } from 'node:net';
import { Common, Mainnet } from '@ethereumjs/common';
import { Peer as RefPeerClass, RLPx, SNAP } from '@ethereumjs/devp2p';
import { bytesToHex, dial, generatePrivateKey, listen, type Peer, type Server } from '../src/index.js';

/** The same capability on both libraries' peers: snap/1 (no Status exchange, no timers of its own). */
const SNAP_SPEC = { name: 'snap', version: 1, length: 8 } as const;
const CLIENT_ID = 'scale-bench';

export interface DialTarget {
  host: string;
  port: number;
  /** Node id of the listening node. */
  id: Uint8Array;
  /** Ping interval of the dialed peer (ours; the reference's is fixed at 15 s). */
  pingInterval: number;
}

export interface ScaleNode {
  /** Start the listening node on 127.0.0.1, a free port; returns its port and hex node id. */
  listen(a: { pingInterval: number; maxPeers: number }): Promise<{ port: number; id: string }>;
  /** One peer, TCP to Hello, kept; rejects if it did not get that far. */
  dial(to: DialTarget, key: { priv: Uint8Array; id: Uint8Array }): Promise<void>;
  /** Peers the listening node holds. */
  serverPeers(): number;
  /** Every peer of ours in this process, dialed and accepted (none for the reference: it has no RTT statistics). */
  ourPeers(): Peer[];
}

function oursNode(): ScaleNode {
  let server: Server | undefined;
  const dialed: Peer[] = [];
  return {
    async listen(a) {
      server = await listen({
        privateKey: generatePrivateKey(),
        host: '127.0.0.1',
        port: 0,
        clientId: CLIENT_ID,
        maxPeers: a.maxPeers,
        pingInterval: a.pingInterval,
        protocols: [SNAP_SPEC],
      });
      return { port: server.address.port, id: bytesToHex(server.publicKey) };
    },
    async dial(to, key) {
      const peer = await dial(
        { id: to.id, host: to.host, port: to.port },
        { privateKey: key.priv, clientId: CLIENT_ID, pingInterval: to.pingInterval, protocols: [SNAP_SPEC], connectTimeout: 5_000 },
      );
      // No per-peer listener of ours here: it would be counted in the peer's heap.
      dialed.push(peer);
    },
    serverPeers: () => server?.peers.size ?? 0,
    ourPeers: () => [...dialed, ...(server ? server.peers.values() : [])],
  };
}

/** The reference's Peer, as far as we drive it. */
interface RefPeer {
  events: { once(ev: string, fn: (...args: unknown[]) => void): void; on(ev: string, fn: (...args: unknown[]) => void): void };
}
type RefPeerCtor = new (o: Record<string, unknown>) => RefPeer;

function refNode(): ScaleNode {
  let rlpx: RLPx | undefined;
  let common: Common | undefined;
  const refCommon = (): Common => (common ??= new Common({ chain: Mainnet }));
  const dialed: RefPeer[] = [];
  return {
    async listen(a) {
      // Its RLPx class, no discovery, maxPeers raised. Its ping interval is fixed at 15 s
      // (PING_INTERVAL in its peer.js); `timeout` is its ping (and connect) timeout.
      const node = new RLPx(generatePrivateKey(), {
        clientId: new TextEncoder().encode(CLIENT_ID),
        capabilities: [SNAP.snap],
        common: refCommon(),
        listenPort: null,
        dpt: null,
        maxPeers: a.maxPeers,
        timeout: 10_000,
      });
      node.events.on('peer:error', () => {});
      node.events.on('error', () => {});
      const server = node['_server']!;
      const listening = once(server, 'listening');
      node.listen(0, '127.0.0.1');
      await listening;
      rlpx = node;
      return { port: (server.address() as { port: number }).port, id: bytesToHex(node.id) };
    },
    /** What the reference's RLPx.connect() does for one peer, with this peer's own key. */
    async dial(to, key) {
      const socket = new Socket();
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.setTimeout(5_000, () => reject(new Error('connect timeout')));
          socket.connect(to.port, to.host, () => resolve());
        });
      } catch (err) {
        socket.destroy();
        throw err;
      }
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      const Ctor = RefPeerClass as unknown as RefPeerCtor;
      const peer = new Ctor({
        socket,
        remoteId: to.id,
        privateKey: key.priv,
        id: key.id,
        timeout: 10_000,
        clientId: new TextEncoder().encode(CLIENT_ID),
        capabilities: [SNAP.snap],
        common: refCommon(),
        port: null,
      });
      peer.events.on('error', () => {});
      try {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no Hello within 10 s')), 10_000);
          peer.events.once('connect', () => {
            clearTimeout(t);
            resolve();
          });
          peer.events.once('close', () => {
            clearTimeout(t);
            reject(new Error('closed before Hello'));
          });
          // A socket closed before the Hello exchange gets no 'close' from its Peer.
          socket.once('close', () => {
            clearTimeout(t);
            reject(new Error('socket closed before Hello'));
          });
        });
      } catch (err) {
        socket.destroy();
        throw err;
      }
      dialed.push(peer);
    },
    serverPeers: () => rlpx?.getPeers().length ?? 0,
    ourPeers: () => [],
  };
}

export function scaleNode(impl: 'ours' | 'ref'): ScaleNode {
  return impl === 'ours' ? oursNode() : refNode();
}
