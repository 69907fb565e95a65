/**
 * The wiring between a Peer and what it drives: its connection's read loop (handlers), its
 * ping tracker and its channels' host. One object per peer with its methods on the prototype,
 * instead of a dozen closures per peer (about 1 KiB of heap each at 10,000 peers).
 */
import { asRlpxError, ClosedError, type RlpxError, type SnappyError, type TimeoutError } from '../errors.js';
import type { ConnectionHandlers, RlpxConnection } from '../wire/connection.js';
import type { Message } from '../wire/message.js';
import { flushChannel, type ChannelHost, type ProtocolChannel } from './channel.js';
import type { HealthEvent, PingHost } from './health.js';
import { P2PCode, pingPongBody } from './p2p.js';

/** What the link needs to see of a Peer; structural, so this file need not import peer.ts. */
export interface LinkedPeer {
  readonly connection: RlpxConnection;
  readonly isClosing: boolean;
  readonly protocols: readonly ProtocolChannel[];
  listenerCount(event: 'message'): number;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/** The Peer's private steps the link calls; handed over once, by Peer's static block. */
export interface PeerInternals<P extends LinkedPeer> {
  onMessage(peer: P, msg: Message): void;
  onDisconnect(peer: P, payload: Uint8Array): void;
  fail(peer: P, err: Error): void;
  onEnd(peer: P): void;
  pong(peer: P, rtt: number): void;
  health(peer: P, event: HealthEvent): void;
  message(peer: P, protocol: string, code: number, payload: Uint8Array): void;
}

let inner: PeerInternals<LinkedPeer>;

export function linkPeerInternals<P extends LinkedPeer>(internals: PeerInternals<P>): void {
  inner = internals as unknown as PeerInternals<LinkedPeer>;
}


/** A peer-level 'message' listener consumes every channel's messages: hand over what waits. */
export function flushOnMessageListener(this: LinkedPeer, event: string | symbol): void {
  if (event === 'message') queueMicrotask(() => this.protocols.forEach(flushChannel));
}

/**
 * What a Peer gives its connection (the read loop's handlers), its ping tracker and its
 * channels: one object per peer with its methods on the prototype. A dozen closures per peer
 * instead would cost about 1 KiB of heap each at 10,000 peers.
 */
export class PeerLink implements ConnectionHandlers, PingHost, ChannelHost {
  readonly #peer: LinkedPeer;
  constructor(peer: LinkedPeer) {
    this.#peer = peer;
  }

  // ConnectionHandlers: one call per message, in order.
  message(msg: Message): void {
    inner.onMessage(this.#peer, msg);
  }
  undecodable(code: number, raw: Uint8Array, err: SnappyError): void {
    // An old peer's uncompressed Disconnect is still a Disconnect; anything else is not.
    if (code !== P2PCode.Disconnect) throw err;
    inner.onDisconnect(this.#peer, raw);
  }
  error(err: RlpxError): void {
    inner.fail(this.#peer, err);
  }
  end(): void {
    inner.onEnd(this.#peer);
  }

  // PingHost.
  writePing(): Promise<void> {
    const conn = this.#peer.connection;
    return conn.sendBody(pingPongBody(P2PCode.Ping, conn.snappy));
  }
  pong(rtt: number): void {
    inner.pong(this.#peer, rtt);
  }
  health(event: HealthEvent): void {
    inner.health(this.#peer, event);
  }
  unresponsive(err: TimeoutError): void {
    inner.fail(this.#peer, err);
  }

  // ChannelHost.
  send(code: number, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.#peer.isClosing) return Promise.reject(new ClosedError('peer is closed'));
    return this.#peer.connection.send(code, payload, { signal });
  }
  writable(): Promise<void> {
    return this.#peer.connection.writable();
  }
  observed(): boolean {
    return this.#peer.listenerCount('message') > 0;
  }
  delivered(protocol: string, code: number, payload: Uint8Array): void {
    inner.message(this.#peer, protocol, code, payload);
  }
  pauseReading(): void {
    this.#peer.connection.pauseReading();
  }
  resumeReading(): void {
    this.#peer.connection.resumeReading();
  }
  get closing(): boolean {
    return this.#peer.isClosing;
  }
  onClose(listener: () => void): () => void {
    const peer = this.#peer;
    peer.once('close', listener);
    return () => void peer.off('close', listener);
  }
  listenerFailed(err: unknown, where: string): void {
    inner.fail(this.#peer, asRlpxError(err, where));
  }
}

