/**
 * A devp2p peer (geth's p2p/peer.go, plus L7 health): Hello exchange, one read loop, one
 * ping loop, subprotocol channels, and one close path that every failure goes through.
 */
import { EventEmitter } from 'node:events';
import { DisconnectedError, NetworkError, ProtocolError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason, reasonName } from '../reasons.js';
import { checkInteger, MAX_TIMER_MS } from '../options.js';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import { publicKeyOf } from '../crypto/secp256k1.js';
import type { RlpxConnection } from '../wire/connection.js';
import { MAX_FRAME_SIZE } from '../wire/frame.js';
import { encodeMessage, MAX_MESSAGE_SIZE, type Message } from '../wire/message.js';
import { matchProtocols, validateProtocolSpec } from './capabilities.js';
import { ProtocolChannel, type Protocol } from './channel.js';
import { decodeDisconnect, encodeDisconnect } from './disconnect.js';
import { decodeHello, encodeHello, type Hello } from './hello.js';
import { PingTracker, type HealthEvent, type HealthMode, type HealthState, type RttSnapshot } from './health.js';
import {
  BASE_PROTOCOL_LENGTH,
  BASE_PROTOCOL_MAX_MESSAGE_SIZE,
  DISCONNECT_FLUSH_MS,
  EMPTY_LIST,
  P2P_VERSION,
  P2PCode,
  SNAPPY_MIN_VERSION,
} from './p2p.js';

export interface PeerOptions {
  privateKey: Uint8Array;
  clientId?: string;
  listenPort?: number;
  protocols?: readonly Protocol[];
  /** Close with 0x03 when no protocol is shared. Default: true when protocols are given. */
  requireSharedProtocol?: boolean;
  /** Ping every this many ms (geth: 15 s). 0 disables the ping loop. */
  pingInterval?: number;
  /**
   * 'l7' (default): a Ping unanswered after pongTimeout closes the peer with 0x0b.
   * 'geth': geth's L4 behaviour, Pongs are measured but never awaited.
   */
  healthMode?: HealthMode;
  /** How long a Ping may wait for its Pong, ms. */
  pongTimeout?: number;
  /** Deadline for the remote Hello, ms (geth: 5 s). */
  helloTimeout?: number;
  /** Sustained inbound Pings per second tolerated, and the burst above it. */
  maxPingRate?: number;
  pingBurst?: number;
  /** Largest decoded message payload accepted after Hello. */
  maxMessageSize?: number;
  /**
   * Answer Pings (default true). False makes a deliberately unresponsive peer, for test
   * harnesses and demos of the pong deadline; it is a protocol violation in production.
   */
  answerPings?: boolean;
}

export const PEER_DEFAULTS = Object.freeze({
  clientId: `rlpx/0.1.0/node-${process.version}`,
  listenPort: 0,
  pingInterval: 15_000,
  healthMode: 'l7' as HealthMode,
  pongTimeout: 10_000,
  helloTimeout: 5_000,
  maxPingRate: 10,
  pingBurst: 50,
  maxMessageSize: MAX_MESSAGE_SIZE,
  answerPings: true,
});

/** Ping and Pong bodies, encoded once: both are sent all the time by every peer. */
const PING_BODY = { plain: encodeMessage(P2PCode.Ping, EMPTY_LIST, false), snappy: encodeMessage(P2PCode.Ping, EMPTY_LIST, true) };
const PONG_BODY = { plain: encodeMessage(P2PCode.Pong, EMPTY_LIST, false), snappy: encodeMessage(P2PCode.Pong, EMPTY_LIST, true) };

export type Initiator = 'local' | 'remote';

export interface CloseInfo {
  reason: number;
  name: string;
  initiator: Initiator;
  error?: Error;
}

export interface PeerEvents {
  ready: [hello: Hello];
  message: [protocol: string, code: number, payload: Uint8Array];
  ping: [];
  pong: [rtt: number];
  health: [event: HealthEvent];
  close: [info: CloseInfo];
}

type CheckedPeerOptions = Readonly<Required<Omit<PeerOptions, 'protocols' | 'requireSharedProtocol'>>>;
/**
 * One checked copy per options object, so a server's thousands of peers share it. The check
 * happens on first use: an options object changed after that keeps its first values.
 */
const checkedOptions = new WeakMap<PeerOptions, CheckedPeerOptions>();

/** Validate options once, up front: dial() and listen() call it before opening a socket. */
export function checkPeerOptions(o: PeerOptions): CheckedPeerOptions {
  const cached = checkedOptions.get(o);
  if (cached) return cached;
  const r = { ...PEER_DEFAULTS, ...o };
  for (const k of ['pingInterval', 'pongTimeout', 'helloTimeout'] as const) checkInteger(k, r[k], 0, MAX_TIMER_MS);
  checkInteger('maxPingRate', r.maxPingRate);
  checkInteger('pingBurst', r.pingBurst);
  checkInteger('maxMessageSize', r.maxMessageSize, 0, MAX_MESSAGE_SIZE);
  checkInteger('listenPort', r.listenPort, 0, 65535);
  if (r.healthMode !== 'l7' && r.healthMode !== 'geth') throw new RangeError(`healthMode must be 'l7' or 'geth'`);
  publicKeyOf(r.privateKey); // throws KeyError for a bad key
  for (const p of o.protocols ?? []) validateProtocolSpec(p);
  // Our Hello must fit the 2 KiB every peer enforces: refuse a too-long clientId now, not per peer.
  encodeHello(helloOf(r, o.protocols ?? []));
  checkedOptions.set(o, r);
  return r;
}

function helloOf(o: CheckedPeerOptions, protocols: readonly Protocol[]): Hello {
  return {
    version: P2P_VERSION,
    clientId: o.clientId,
    capabilities: protocols.map((p) => ({ name: p.name, version: p.version })),
    listenPort: o.listenPort,
    nodeId: publicKeyOf(o.privateKey),
  };
}

export class Peer extends EventEmitter<PeerEvents> {
  /** The RLPx connection under this peer. Its setters are for the peer alone. */
  readonly connection: RlpxConnection;
  /** The remote's 64-byte public key, as proven by the handshake. */
  readonly remotePublicKey: Uint8Array;
  /** Resolves with the remote Hello; rejects with the error that closed the peer first. */
  readonly ready: Promise<Hello>;
  /** Resolves once, when the peer is closed and its socket is gone. */
  readonly closed: Promise<CloseInfo>;

  readonly #opts: CheckedPeerOptions;
  readonly #protocols: readonly Protocol[];
  readonly #requireShared: boolean;
  /** Our public key, needed only until Hello is checked. */
  #localId: Uint8Array | undefined;
  #hello: Hello | undefined;
  #channels: ProtocolChannel[] = [];
  #resolveReady!: (h: Hello) => void;
  #rejectReady!: (e: Error) => void;
  #resolveClosed!: (c: CloseInfo) => void;
  #closeInfo: CloseInfo | undefined;
  #closeEmitted = false;

  readonly #health: PingTracker;
  #helloTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #pingTokens: number;
  #pingTokensAt = performance.now();
  #answerPings: boolean;

  constructor(connection: RlpxConnection, options: PeerOptions) {
    // Rejections of async listeners come back to us instead of going unhandled.
    super({ captureRejections: true });
    this.#opts = checkPeerOptions(options);
    this.#protocols = options.protocols ?? [];
    this.#requireShared = options.requireSharedProtocol ?? this.#protocols.length > 0;
    this.#pingTokens = this.#opts.pingBurst;
    this.#answerPings = this.#opts.answerPings;
    this.connection = connection;
    this.remotePublicKey = connection.remotePublicKey;
    this.#localId = publicKeyOf(options.privateKey);
    this.#health = new PingTracker(
      {
        writePing: () => this.connection.sendBody(this.connection.snappy ? PING_BODY.snappy : PING_BODY.plain),
        pong: (rtt) => this.#emit('pong', rtt),
        health: (event) => this.#emit('health', event),
        unresponsive: (err) => this.#fail(err),
      },
      this.#opts.healthMode,
      this.#opts.pongTimeout,
    );
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A caller that only listens for 'close' must not see an unhandled rejection.
    this.ready.catch(() => {});
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));

    // Our Hello goes out first and uncompressed; theirs is read concurrently.
    connection.send(P2PCode.Hello, encodeHello(helloOf(this.#opts, this.#protocols)), { compress: false }).catch(() => {});
    this.#helloTimer = setTimeout(
      () => this.#fail(new TimeoutError(`no Hello within ${this.#opts.helloTimeout} ms`, DisconnectReason.ReadTimeout)),
      this.#opts.helloTimeout,
    );
    connection.setLenientCodes([P2PCode.Disconnect]);
    // Until Hello only small base-protocol messages are legal: a header that announces more is
    // refused before a byte of its body is buffered.
    connection.setMaxFrameSize(BASE_PROTOCOL_MAX_MESSAGE_SIZE);
    // Started a tick later: a Hello that came in with the handshake must not fire 'ready'
    // before the caller has had a chance to listen for it.
    queueMicrotask(() =>
      connection.start({
        message: (msg) => this.#onMessage(msg),
        error: (err) => this.#onConnectionError(err),
        end: () => this.#onEnd(),
      }),
    );
  }

  /** Hex of the remote's 64-byte public key, as enode URLs show it. */
  get id(): string {
    return bytesToHex(this.remotePublicKey);
  }

  get remoteHello(): Hello | undefined {
    return this.#hello;
  }

  get protocols(): readonly ProtocolChannel[] {
    return this.#channels;
  }

  protocol(name: string): ProtocolChannel | undefined {
    return this.#channels.find((c) => c.name === name);
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

  /** Send one Ping now and resolve with its round-trip time in ms. */
  ping(options: { signal?: AbortSignal } = {}): Promise<number> {
    if (!this.#hello || this.isClosing) return Promise.reject(new NetworkError('peer is not running'));
    return this.#health.ping(options.signal);
  }

  /** Close locally: send Disconnect with `reason`, wait at most 1 s for it to leave, close. */
  disconnect(reason: DisconnectReason = DisconnectReason.Requested): Promise<CloseInfo> {
    if (!Number.isInteger(reason) || reason < 0 || reason > 0xff) {
      throw new RangeError(`disconnect reason must be an integer in [0, 255], got ${reason}`);
    }
    this.#close({ reason, initiator: 'local' });
    return this.closed;
  }

  /** Tear down without sending anything. */
  destroy(error?: Error): void {
    this.#close({ reason: DisconnectReason.NetworkError, initiator: 'local', ...(error ? { error } : {}) }, false);
  }

  /** @internal Used by ProtocolChannel. */
  _send(code: number, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.isClosing) return Promise.reject(new NetworkError('peer is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.connection.send(code, payload);
  }

  /** @internal A listener of ours or of a channel threw or rejected: our bug, closed as 0x10. */
  _listenerFailed(err: unknown, where: string): void {
    this.#fail(
      err instanceof RlpxError
        ? err
        : new ProtocolError(`${where} failed: ${(err as Error)?.message ?? String(err)}`, {
            cause: err,
            reason: DisconnectReason.SubprotocolError,
          }),
    );
  }

  override [EventEmitter.captureRejectionSymbol]<K>(
    error: Error,
    event: keyof PeerEvents | K,
    ..._args: K extends keyof PeerEvents ? PeerEvents[K] : never
  ): void {
    this._listenerFailed(error, `'${String(event)}' listener`);
  }

  /** Emit without letting a throwing listener escape into the read loop or a timer. */
  #emit<K extends keyof PeerEvents>(event: K, ...args: PeerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: PeerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      if (event === 'close') process.emitWarning(`rlpx: a 'close' listener threw: ${(err as Error)?.message ?? err}`);
      else this._listenerFailed(err, `'${event}' listener`);
    }
  }

  #onMessage(msg: Message): void {
    if (this.isClosing) return;
    if (!this.#hello) return this.#onHandshakeMessage(msg);
    switch (msg.code) {
      case P2PCode.Disconnect:
        return this.#onDisconnect(msg);
      case P2PCode.Ping:
        return this.#onPing();
      case P2PCode.Pong:
        return this.#health.pong();
      default:
        if (msg.code < BASE_PROTOCOL_LENGTH) return; // another Hello or a reserved code: ignored, as geth does
        return this.#dispatch(msg);
    }
  }

  #onHandshakeMessage(msg: Message): void {
    if (msg.code === P2PCode.Disconnect) return this.#onDisconnect(msg);
    if (msg.code !== P2PCode.Hello) throw new ProtocolError(`expected Hello, got message 0x${msg.code.toString(16)}`);
    const hello = decodeHello(msg.payload);
    // Both Hellos are out: from here on, even a refusal is compressed if the remote speaks v5.
    this.connection.setSnappy(hello.version >= SNAPPY_MIN_VERSION);
    if (equalBytes(this.remotePublicKey, this.#localId!)) {
      throw new ProtocolError('connected to self', { reason: DisconnectReason.ConnectedToSelf });
    }
    if (!equalBytes(hello.nodeId, this.remotePublicKey)) {
      throw new ProtocolError('Hello node id differs from the handshake identity', {
        reason: DisconnectReason.UnexpectedIdentity,
      });
    }
    const matched = matchProtocols(this.#protocols, hello.capabilities);
    if (matched.length === 0 && this.#requireShared) {
      throw new ProtocolError('no shared capability', { reason: DisconnectReason.UselessPeer });
    }
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
    hello.nodeId = this.remotePublicKey; // equal bytes; one copy per peer is enough
    this.#localId = undefined;
    this.#hello = hello;
    this.connection.setMaxMessageSize(this.#opts.maxMessageSize);
    this.connection.setMaxFrameSize(MAX_FRAME_SIZE);
    this.#channels = matched.map((m) => new ProtocolChannel(this, m));
    this.#startPingLoop();
    this.#resolveReady(hello);
    this.#emit('ready', hello);
    for (const ch of this.#channels) {
      if (this.isClosing) return;
      const run = this.#protocols.find((x) => x.name === ch.name && x.version === ch.version)!.run;
      if (!run) continue;
      try {
        const done = run(ch);
        if (done instanceof Promise) done.catch((err: unknown) => this._listenerFailed(err, `${ch.name} run()`));
      } catch (err) {
        return this._listenerFailed(err, `${ch.name} run()`);
      }
    }
  }

  #dispatch(msg: Message): void {
    const ch = this.#channels.find((c) => msg.code >= c.offset && msg.code < c.offset + c.length);
    if (!ch) throw new ProtocolError(`message code 0x${msg.code.toString(16)} belongs to no running protocol`);
    try {
      ch.emit('message', msg.code - ch.offset, msg.payload);
    } catch (err) {
      return this._listenerFailed(err, `${ch.name} 'message' listener`);
    }
    this.#emit('message', ch.name, msg.code - ch.offset, msg.payload);
  }

  #onDisconnect(msg: Message): void {
    const reason = decodeDisconnect(msg.payload) ?? (msg.raw ? decodeDisconnect(msg.raw) : undefined);
    if (reason === undefined) {
      const error = new DisconnectedError(-1, 'remote sent Disconnect without a readable reason');
      this.#close({ reason: DisconnectReason.Requested, initiator: 'remote', error });
    } else {
      this.#close({ reason, initiator: 'remote' });
    }
  }

  #onPing(): void {
    this.#emit('ping');
    const now = performance.now();
    const { maxPingRate, pingBurst } = this.#opts;
    this.#pingTokens = Math.min(pingBurst, this.#pingTokens + ((now - this.#pingTokensAt) / 1000) * maxPingRate);
    this.#pingTokensAt = now;
    if (this.#pingTokens < 1) throw new ProtocolError(`Ping flood: more than ${maxPingRate}/s sustained`);
    this.#pingTokens -= 1;
    // Every Ping is answered, in order: the remote pairs Pongs with Pings. The rate limit above
    // bounds how many can queue; a full write buffer is the write deadline's business.
    if (this.#answerPings) this.connection.sendBody(this.connection.snappy ? PONG_BODY.snappy : PONG_BODY.plain).catch(() => {});
  }

  #startPingLoop(): void {
    if (this.#opts.pingInterval === 0) return;
    this.#pingTimer = setInterval(() => {
      if (!this.isClosing) this.#health.tick();
    }, this.#opts.pingInterval);
    this.#pingTimer.unref();
  }

  #onConnectionError(err: RlpxError): void {
    // A network-level failure cannot carry a Disconnect. A socket that ended or failed was the
    // remote's doing; our own write deadline is ours.
    if (err.reason === DisconnectReason.NetworkError) {
      this.#close({ reason: err.reason, initiator: err instanceof NetworkError ? 'remote' : 'local', error: err }, false);
    } else {
      this.#fail(err);
    }
  }

  /** Local close because of an error: its reason goes to the remote. */
  #fail(err: Error): void {
    const reason = err instanceof RlpxError ? err.reason : DisconnectReason.ProtocolError;
    this.#close({ reason, initiator: 'local', error: err });
  }

  /** The one close path. */
  #close(info: Omit<CloseInfo, 'name'>, sendDisconnect = info.initiator === 'local'): void {
    if (this.#closeInfo) return;
    const full: CloseInfo = { ...info, name: reasonName(info.reason) };
    this.#closeInfo = full;
    clearTimeout(this.#helloTimer);
    clearInterval(this.#pingTimer);
    this.#helloTimer = this.#pingTimer = undefined;

    const closeError =
      info.error ??
      (info.initiator === 'remote' ? new DisconnectedError(info.reason, `remote disconnected: ${full.name}`) : new NetworkError(`disconnected: ${full.name}`));
    this.#health.stop(closeError);
    this.#rejectReady(closeError);

    const conn = this.connection;
    if (sendDisconnect && !conn.closed) {
      const flush = setTimeout(() => conn.destroy(), DISCONNECT_FLUSH_MS);
      flush.unref();
      conn
        .send(P2PCode.Disconnect, encodeDisconnect(info.reason as DisconnectReason))
        .catch(() => {})
        .finally(() => {
          clearTimeout(flush);
          conn.destroy();
        });
    } else {
      conn.destroy();
    }
    // Already gone before we got here: no 'close' event from the socket will come.
    if (conn.ended) this.#onEnd();
  }

  #onEnd(): void {
    if (!this.#closeInfo) {
      this.#close({ reason: DisconnectReason.NetworkError, initiator: 'remote', error: new NetworkError('connection closed') }, false);
      return;
    }
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    const info = this.#closeInfo;
    this.#resolveClosed(info);
    // Emitted on a fresh tick so listeners never run inside our read loop.
    setImmediate(() => this.#emit('close', info));
  }
}

export { ProtocolChannel, type Protocol } from './channel.js';
export type { HealthEvent, HealthMode } from './health.js';
