/**
 * A reference node for interop tests: @ethereumjs/devp2p's RLPx, run with its SNAP/1
 * capability (SNAP has no Status exchange and no status timer, so the only traffic is the
 * base protocol unless a test sends snap messages), no discovery, and bookkeeping of every
 * socket it opens so a test can always tear it down.
 */
import { Socket } from 'node:net';
import { once } from 'node:events';
import { Common, Mainnet } from '@ethereumjs/common';
import { RLPx, SNAP, type Peer as RefPeer } from '@ethereumjs/devp2p';
import { generatePrivateKey } from '../../src/index.js';
import { within } from './loopback.js';

/** The capability both sides run: snap/1 with its 8 message codes. */
export const SNAP_PROTOCOL = { name: 'snap', version: 1, length: 8 } as const;

export interface RefNodeOptions {
  clientId: string;
  /** Listen on this port on 127.0.0.1; omit for a node that only dials. */
  listenPort?: number;
  /** Its ping timeout (and TCP connect timeout), ms. */
  timeout?: number;
}

export interface RefNode {
  rlpx: RLPx;
  /** Its 64-byte node id (public key). */
  id: Uint8Array;
  clientId: string;
  port: number | undefined;
  /** Every peer it announced with 'peer:added', in order. */
  added: RefPeer[];
  /** Every 'peer:removed', in order. */
  removed: { peer: RefPeer; reason: unknown; disconnectWe: boolean | null }[];
  /** The next 'peer:added' (or the first one already seen). */
  nextAdded(ms?: number): Promise<RefPeer>;
  /** The next 'peer:removed' (or the first one not yet taken). */
  nextRemoved(ms?: number): Promise<{ peer: RefPeer; reason: unknown; disconnectWe: boolean | null }>;
  /** Destroy its server and every socket it opened; bounded. */
  close(): Promise<void>;
}

/** The socket under one of its peers. */
export function refSocket(peer: RefPeer): Socket {
  return peer['_socket'];
}

export async function startRefNode(opts: RefNodeOptions): Promise<RefNode> {
  const rlpx = new RLPx(generatePrivateKey(), {
    clientId: new TextEncoder().encode(opts.clientId),
    capabilities: [SNAP.snap],
    common: new Common({ chain: Mainnet }),
    listenPort: opts.listenPort ?? null,
    dpt: null,
    maxPeers: 10,
    timeout: opts.timeout ?? 5_000,
  });
  const sockets = new Set<Socket>();
  const added: RefPeer[] = [];
  const removed: RefNode['removed'] = [];
  let addedTaken = 0;
  let removedTaken = 0;

  rlpx['_server']!.on('connection', (s: Socket) => sockets.add(s));
  rlpx.events.on('peer:added', (peer) => {
    added.push(peer);
    sockets.add(refSocket(peer));
  });
  rlpx.events.on('peer:removed', (peer, reason, disconnectWe) => removed.push({ peer, reason, disconnectWe }));
  // Its errors are reported, never thrown (eventemitter3); keep them quiet.
  rlpx.events.on('peer:error', () => {});
  rlpx.events.on('error', () => {});

  if (opts.listenPort !== undefined) {
    const listening = once(rlpx['_server']!, 'listening');
    rlpx.listen(opts.listenPort, '127.0.0.1');
    await within(listening, 2_000, 'the reference node to listen');
  }

  const waitFor = async <T>(list: T[], taken: () => number, take: () => void, ms: number, what: string): Promise<T> => {
    const deadline = Date.now() + ms;
    while (list.length <= taken()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const item = list[taken()]!;
    take();
    return item;
  };

  let closing: Promise<void> | undefined;
  return {
    rlpx,
    id: rlpx.id,
    clientId: opts.clientId,
    port: opts.listenPort,
    added,
    removed,
    nextAdded: (ms = 3_000) => waitFor(added, () => addedTaken, () => addedTaken++, ms, "its 'peer:added'"),
    nextRemoved: (ms = 3_000) => waitFor(removed, () => removedTaken, () => removedTaken++, ms, "its 'peer:removed'"),
    close() {
      closing ??= (async () => {
        // Sockets it dialed are in its table (as a Socket until the handshake, a Peer after).
        for (const item of rlpx['_peers'].values()) sockets.add(item instanceof Socket ? item : refSocket(item as RefPeer));
        const server = rlpx['_server'];
        let stopped: Promise<unknown> = Promise.resolve();
        if (server) {
          // A net.Server emits 'close' only once its connections are gone, so wait after
          // the sockets are destroyed. destroy() also sends CLIENT_QUITTING to peers still in
          // its table (and arms a 2 s timer per peer that ends an already closed socket).
          if (server.listening) stopped = once(server, 'close');
          rlpx.destroy();
        }
        for (const s of sockets) s.destroy();
        const socketsClosed = Promise.all([...sockets].map((s) => (s.closed ? undefined : once(s, 'close'))));
        await within(Promise.all([stopped, socketsClosed]), 2_000, 'the reference node to close');
      })();
      return closing;
    },
  };
}
