/**
 * A devp2p peer (geth's p2p/peer.go, plus L7 health): a session past Hello, with one read
 * loop, one ping loop, subprotocol channels, and one close path that every failure goes
 * through. Peers come from dial() and from a Server; the Hello phase is protocol-handshake.ts.
 */
import { EventEmitter } from 'node:events';
import { compactListenerTable } from './listener-table.js';
import { asRlpxError, ClosedError, DisconnectedError, discReasonForError, NetworkError, ProtocolError, type Initiator } from '../errors.js';
import { checkReason, DisconnectReason, isKnownReason, reasonName } from '../reasons.js';
import { abortable, checkSignal } from '../abort.js';
import { bytesToHex } from '../crypto/bytes.js';
import type { RlpxConnection } from '../wire/connection.js';
import type { Message } from '../wire/message.js';
import type { ProtocolSpec } from './capabilities.js';
import { deliverTo, ProtocolChannel } from './channel.js';
import { flushOnMessageListener, linkPeerInternals, PeerLink } from './peer-link.js';
import { closeConnection, decodeDisconnect } from './disconnect.js';
import type { Hello } from './hello.js';
import { PingTracker, type HealthEvent, type HealthMode, type HealthState, type RttSnapshot } from './health.js';
import { PingLimit } from './ping-limit.js';
import type { Session } from './protocol-handshake.js';
import { BASE_PROTOCOL_LENGTH, P2PCode, pingPongBody } from './p2p.js';

/** A subprotocol to run: its capability, its code range and what to do when it starts. */
export interface Protocol extends ProtocolSpec {
  /**
   * Called when the protocol starts on a peer, before any of its messages is delivered.
   * Throwing here (or rejecting, if async), or in a 'message' listener, closes the peer with 0x10.
   */
  run?(channel: ProtocolChannel, peer: Peer): unknown;
}

/** What a running Peer needs, checked (see peerConfig in options.ts). */
export interface PeerConfig {
  readonly pingInterval: number;
  readonly healthMode: HealthMode;
  readonly pongTimeout: number;
  readonly maxPingRate: number;
  readonly pingBurst: number;
  readonly maxMessageSize: number;
  readonly answerPings: boolean;
}


export interface CloseInfo {
  /** Unknown (0xff) when the remote's Disconnect had no reason we could read or know. */
  reason: DisconnectReason;
  name: string;
  initiator: Initiator;
  error?: Error;
  /** The remote's Disconnect payload, when its reason was Unknown. */
  raw?: Uint8Array;
}

export interface PeerEvents {
  message: [protocol: string, code: number, payload: Uint8Array];
  ping: [];
  pong: [rtt: number];
  health: [event: HealthEvent];
  close: [info: CloseInfo];
}

/** Set by Peer's static block: watchClose's access to a peer's private fields. */
let setCloseWatcher: (peer: Peer, watcher: (peer: Peer, owner: unknown) => void, owner: unknown) => void;

export class Peer extends EventEmitter<PeerEvents> {
  static {
    setCloseWatcher = (peer, watcher, owner) => {
      peer.#closeWatcher = watcher;
      peer.#closeWatcherOwner = owner;
      if (peer.#closedWith) queueMicrotask(() => watcher(peer, owner));
    };
    linkPeerInternals<Peer>({
      onMessage: (peer, msg) => peer.#onMessage(msg),
      onDisconnect: (peer, payload) => peer.#onDisconnect(payload),
      fail: (peer, err) => peer.#fail(err),
      onEnd: (peer) => peer.#onEnd(),
      pong: (peer, rtt) => peer.#emit('pong', rtt),
      health: (peer, event) => peer.#emit('health', event),
      message: (peer, protocol, code, payload) => peer.#emit('message', protocol, code, payload),
    });
  }

  /** The RLPx connection under this peer. */
  readonly connection: RlpxConnection;
  /** The remote's 64-byte public key, as proven by the handshake. */
  readonly remotePublicKey: Uint8Array;
  /** The remote's Hello. */
  readonly remoteHello: Hello;
  readonly protocols: readonly ProtocolChannel[];

  readonly #config: PeerConfig;
  readonly #health: PingTracker;
  readonly #pingLimit: PingLimit;
  #answerPings: boolean;
  /** Made on first use: a promise per idle peer that nobody awaits is about 150 bytes of heap. */
  #closed: Promise<CloseInfo> | undefined;
  #resolveClosed: ((c: CloseInfo) => void) | undefined;
  /** Set once 'close' has been emitted: what `closed` resolves with. */
  #closedWith: CloseInfo | undefined;
  /** Told after 'close', before anything awaiting `closed` (see watchClose): the Server's table. */
  #closeWatcher: ((peer: Peer, owner: unknown) => void) | undefined;
  #closeWatcherOwner: unknown;
  #closeInfo: CloseInfo | undefined;
  #closeEmitted = false;

  /** Peers come from dial() and Server; this is called once the Hello phase has succeeded. */
  constructor(connection: RlpxConnection, session: Session, protocols: readonly Protocol[], config: PeerConfig) {
    // Rejections of async listeners come back to us instead of going unhandled.
    super({ captureRejections: true });
    compactListenerTable(this);
    this.connection = connection;
    this.remotePublicKey = connection.remotePublicKey;
    this.remoteHello = session.hello;
    this.#config = config;
    this.#answerPings = config.answerPings;
    this.#pingLimit = new PingLimit(config.maxPingRate, config.pingBurst);
    const link = new PeerLink(this);
    this.#health = new PingTracker(link, config.healthMode, config.pongTimeout);
    this.protocols = session.matched.map((m) => new ProtocolChannel(link, m));
    // A peer-level 'message' listener consumes every channel's messages, early ones included.
    (this as EventEmitter).on('newListener', flushOnMessageListener);
    this.#startPingLoop();
    for (const ch of this.protocols) {
      const run = protocols.find((p) => p.name === ch.name && p.version === ch.version)?.run;
      if (run && !this.#runProtocol(run, ch)) break;
    }
    connection.start(link);
  }

  /** Resolves once, when the peer is closed and its socket is gone. */
  get closed(): Promise<CloseInfo> {
    return (this.#closed ??= this.#closedWith ? Promise.resolve(this.#closedWith) : new Promise((resolve) => (this.#resolveClosed = resolve)));
  }

  /** Hex of the remote's 64-byte public key, as enode URLs show it. */
  get id(): string {
    return bytesToHex(this.remotePublicKey);
  }

  protocol(name: string): ProtocolChannel | undefined {
    return this.protocols.find((c) => c.name === name);
  }

  /** Whether we answer Pings (see PeerOptions.answerPings). */
  get answerPings(): boolean {
    return this.#answerPings;
  }

  set answerPings(on: boolean) {
    this.#answerPings = on;
  }

  get health(): HealthState {
    return this.#health.state;
  }

  get rtt(): RttSnapshot {
    return this.#health.stats.snapshot();
  }

  get isClosing(): boolean {
    return this.#closeInfo !== undefined;
  }

  get closeInfo(): CloseInfo | undefined {
    return this.#closeInfo;
  }

  /** Resolves when a send would be written at once: nothing waits and the write buffer has room. */
  writable(): Promise<void> {
    return this.connection.writable();
  }

  /** Send one Ping now and resolve with its round-trip time in ms. */
  ping(options: { signal?: AbortSignal } = {}): Promise<number> {
    checkSignal(options.signal);
    if (this.isClosing) return Promise.reject(new ClosedError('peer is closed'));
    return this.#health.ping(options.signal);
  }

  /**
   * Close locally: send Disconnect with `reason` (default 0x00, "disconnect requested", as
   * geth's Peer.Disconnect callers choose theirs; a Server closing sends 0x08; a reason outside
   * DisconnectReason's table is a RangeError and the peer runs on), wait at most
   * 1 s for it to leave, close. Resolves after the 'close' event. Aborting `signal` stops the
   * wait: the socket is destroyed at once and the promise rejects with the signal's reason.
   */
  disconnect(reason: DisconnectReason = DisconnectReason.Requested, options: { signal?: AbortSignal } = {}): Promise<CloseInfo> {
    checkReason(reason, 'disconnect');
    checkSignal(options.signal);
    this.#close({ reason, initiator: 'local' }, true);
    return abortable(this.closed, options.signal, () => this.connection.destroy());
  }

  /** `await using peer = await dial(...)`: disconnect (0x00) when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  /** Tear down without sending anything. */
  destroy(error?: Error): void {
    this.#close({ reason: DisconnectReason.NetworkError, initiator: 'local', ...(error ? { error } : {}) }, false);
  }

  override [EventEmitter.captureRejectionSymbol]<K>(
    error: Error,
    event: keyof PeerEvents | K,
    ..._args: K extends keyof PeerEvents ? PeerEvents[K] : never
  ): void {
    this.#fail(asRlpxError(error, `'${String(event)}' listener`));
  }

  /** Start one protocol; false when that closed the peer. */
  #runProtocol(run: NonNullable<Protocol['run']>, ch: ProtocolChannel): boolean {
    try {
      const done = run(ch, this);
      if (done instanceof Promise) done.catch((err: unknown) => this.#fail(asRlpxError(err, `${ch.name} run()`)));
    } catch (err) {
      this.#fail(asRlpxError(err, `${ch.name} run()`));
    }
    return !this.isClosing;
  }

  /** Emit without letting a throwing listener escape into the read loop or a timer. */
  #emit<K extends keyof PeerEvents>(event: K, ...args: PeerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: PeerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      if (event === 'close') process.emitWarning(`rlpx: a 'close' listener threw: ${(err as Error)?.message ?? err}`);
      else this.#fail(asRlpxError(err, `'${event}' listener`));
    }
  }

  /** The read loop's body: route one message. */
  #onMessage(msg: Message): void {
    if (this.isClosing) return;
    switch (msg.code) {
      case P2PCode.Disconnect:
        return this.#onDisconnect(msg.payload);
      case P2PCode.Ping:
        return this.#onPing();
      case P2PCode.Pong:
        return this.#health.pong();
      default:
        if (msg.code < BASE_PROTOCOL_LENGTH) return; // another Hello or a reserved code: ignored, as geth does
        return this.#dispatch(msg);
    }
  }

  #dispatch(msg: Message): void {
    const ch = this.protocols.find((c) => msg.code >= c.offset && msg.code < c.offset + c.length);
    if (!ch) throw new ProtocolError(`message code 0x${msg.code.toString(16)} belongs to no running protocol`);
    deliverTo(ch, msg.code - ch.offset, msg.payload);
  }

  #onDisconnect(payload: Uint8Array): void {
    const reason = decodeDisconnect(payload);
    if (reason !== undefined && isKnownReason(reason)) return this.#close({ reason, initiator: 'remote' }, false);
    const error = new DisconnectedError(`remote sent Disconnect with ${reason === undefined ? 'no readable' : 'an unknown'} reason`, reason ?? -1, payload);
    this.#close({ reason: DisconnectReason.Unknown, initiator: 'remote', error, raw: payload }, false);
  }

  #onPing(): void {
    this.#emit('ping');
    this.#pingLimit.take();
    // Every Ping is answered, in order: the remote pairs Pongs with Pings. The rate limit above
    // bounds how many can queue; a full write buffer is the write deadline's business.
    if (this.#answerPings) this.connection.sendBody(pingPongBody(P2PCode.Pong, this.connection.snappy)).catch(() => {});
  }

  #startPingLoop(): void {
    if (this.#config.pingInterval === 0) return;
    this.#health.startLoop(this.#config.pingInterval);
  }

  /** Close because of an error: discReasonForError says with which reason, and who caused it. */
  #fail(err: Error): void {
    const { reason, initiator, notify } = discReasonForError(err);
    this.#close({ reason, initiator, error: err }, notify);
  }

  /** The one close path. */
  #close(info: Omit<CloseInfo, 'name'>, notify: boolean): void {
    if (this.#closeInfo) return;
    const full: CloseInfo = { ...info, name: reasonName(info.reason) };
    this.#closeInfo = full;
    this.#health.stopLoop();
    // Built only if a Ping is pending and has to be refused with it.
    this.#health.stop(() => closeErrorOf(full));
    closeConnection(this.connection, info.reason as DisconnectReason, notify);
    // Already gone before we got here: no 'close' event from the socket will come.
    if (this.connection.ended) this.#onEnd();
  }

  #onEnd(): void {
    if (!this.#closeInfo) {
      this.#close({ reason: DisconnectReason.NetworkError, initiator: 'remote', error: new NetworkError('connection closed') }, false);
      return;
    }
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    const info = this.#closeInfo;
    // On a fresh tick so listeners never run inside our read loop; the event comes before
    // `closed` (and disconnect()) resolve, so an awaiting caller sees its effects.
    setImmediate(() => {
      this.#emit('close', info);
      this.#closedWith = info;
      this.#resolveClosed?.(info);
      this.#closeWatcher?.(this, this.#closeWatcherOwner);
    });
  }
}

/**
 * Call `watcher(peer, owner)` once the peer has closed (after 'close', before whatever awaits
 * `closed`); one watcher per peer. A shared function and its owner, not a closure per peer.
 */
export function watchClose<O>(peer: Peer, watcher: (peer: Peer, owner: O) => void, owner: O): void {
  setCloseWatcher(peer, watcher as (peer: Peer, owner: unknown) => void, owner);
}

/**
 * The error a close stands for: its own, or the remote's Disconnect (a DisconnectedError with
 * the remote's reason), or our close (ClosedError). Whatever awaited the peer fails with it,
 * so a remote refusal reads the same on every path (dial, server.dial, a listener's 'rejected').
 */
export function closeErrorOf(info: CloseInfo): Error {
  if (info.error) return info.error;
  if (info.initiator === 'remote') return new DisconnectedError(`remote disconnected: ${info.name}`, info.reason);
  return new ClosedError(`disconnected: ${info.name}`, { reason: info.reason });
}

export type { HealthEvent, HealthMode } from './health.js';
export type { Initiator } from '../errors.js';
