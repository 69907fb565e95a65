/**
 * A devp2p peer (geth's p2p/peer.go, plus L7 health): Hello exchange, one read loop, one
 * ping loop, subprotocol channels, and one close path that every failure goes through.
 */
import { EventEmitter, on } from 'node:events';
import { DisconnectedError, NetworkError, ProtocolError, RlpxError, TimeoutError } from '../errors.js';
import { DisconnectReason, reasonName } from '../reasons.js';
import { bytesToHex, equalBytes } from '../crypto/bytes.js';
import { publicKeyOf } from '../crypto/secp256k1.js';
import type { RlpxConnection } from '../wire/connection.js';
import { encodeMessage, type Message } from '../wire/message.js';
import { MAX_DECODED_SIZE } from '../wire/snappy.js';
import { MAX_FRAME_SIZE } from '../wire/frame.js';
import { matchProtocols, validateProtocolSpec, type MatchedProtocol, type ProtocolSpec } from './capabilities.js';
import { decodeDisconnect, encodeDisconnect } from './disconnect.js';
import { decodeHello, encodeHello, type Hello } from './hello.js';
import { RttStats, type HealthState, type RttSnapshot } from './health.js';
import { BASE_PROTOCOL_LENGTH, BASE_PROTOCOL_MAX_MESSAGE_SIZE, EMPTY_LIST, P2P_VERSION, P2PCode, SNAPPY_MIN_VERSION } from './p2p.js';

/** A subprotocol to run: its capability, its code range and what to do when it starts. */
export interface Protocol extends ProtocolSpec {
  /**
   * Called when the protocol starts on a peer, before any of its messages is delivered.
   * Throwing here, or in a 'message' listener, closes the peer with 0x10.
   */
  run?(channel: ProtocolChannel): void;
}

export type HealthMode = 'l7' | 'geth';

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
  maxMessageSize: MAX_DECODED_SIZE,
  answerPings: true,
});

/** Ping and Pong bodies, encoded once: both are sent all the time by every peer. */
const PING_BODY = { plain: encodeMessage(P2PCode.Ping, EMPTY_LIST, false), snappy: encodeMessage(P2PCode.Ping, EMPTY_LIST, true) };
const PONG_BODY = { plain: encodeMessage(P2PCode.Pong, EMPTY_LIST, false), snappy: encodeMessage(P2PCode.Pong, EMPTY_LIST, true) };

/** Pings sent and not yet answered, beyond which the oldest is dropped as missed (geth mode). */
const MAX_OUTSTANDING_PINGS = 16;
/** Above this many unsent bytes we skip a Pong rather than queue it behind a backlog. */
const PONG_BACKLOG_LIMIT = 64 * 1024;
/** How long a Disconnect may take to leave before the socket is torn down (geth: 1 s). */
const DISCONNECT_FLUSH_MS = 1_000;

export type Initiator = 'local' | 'remote';

export interface CloseInfo {
  reason: number;
  name: string;
  initiator: Initiator;
  error?: Error;
}

export interface HealthEvent {
  state: HealthState;
  previous: HealthState;
  rtt: RttSnapshot;
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
/** One checked copy per options object: a server's thousands of peers share it. */
const checkedOptions = new WeakMap<PeerOptions, CheckedPeerOptions>();

/** Validate options once, up front: dial() and listen() call it before opening a socket. */
export function checkPeerOptions(o: PeerOptions): CheckedPeerOptions {
  const cached = checkedOptions.get(o);
  if (cached) return cached;
  const r = { ...PEER_DEFAULTS, ...o };
  for (const k of ['pingInterval', 'pongTimeout', 'helloTimeout', 'maxPingRate', 'pingBurst', 'maxMessageSize', 'listenPort'] as const) {
    const v = r[k];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${k} must be a non-negative integer, got ${v}`);
  }
  if (r.healthMode !== 'l7' && r.healthMode !== 'geth') throw new RangeError(`healthMode must be 'l7' or 'geth'`);
  if (r.maxMessageSize > MAX_DECODED_SIZE) throw new RangeError(`maxMessageSize must be <= ${MAX_DECODED_SIZE}`);
  for (const p of o.protocols ?? []) validateProtocolSpec(p);
  checkedOptions.set(o, r);
  return r;
}

interface PendingPing {
  sentAt: number;
  /** Passed its pong deadline unanswered (geth mode keeps waiting, and counts it missed). */
  overdue?: boolean;
  resolve?: (rtt: number) => void;
  reject?: (err: Error) => void;
}

interface ChannelEvents {
  message: [code: number, payload: Uint8Array];
}

/** One running subprotocol on one peer; codes are relative to the protocol (0-based). */
export class ProtocolChannel extends EventEmitter<ChannelEvents> {
  readonly name: string;
  readonly version: number;
  readonly offset: number;
  readonly length: number;
  readonly peer: Peer;

  constructor(peer: Peer, m: MatchedProtocol) {
    super();
    this.peer = peer;
    this.name = m.name;
    this.version = m.version;
    this.offset = m.offset;
    this.length = m.length;
  }

  send(code: number, payload: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!Number.isInteger(code) || code < 0 || code >= this.length) {
      return Promise.reject(new RangeError(`${this.name}: code ${code} outside [0, ${this.length})`));
    }
    return this.peer._send(this.offset + code, payload, options.signal);
  }

  /** Messages as an async iterator; ends when the peer closes. */
  async *messages(options: { signal?: AbortSignal } = {}): AsyncGenerator<{ code: number; payload: Uint8Array }> {
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const onClose = (): void => stop.abort();
    this.peer.once('close', onClose);
    if (this.peer.isClosing) stop.abort();
    try {
      for await (const [code, payload] of on(this, 'message', { signal })) {
        yield { code: code as number, payload: payload as Uint8Array };
      }
    } catch (err) {
      if (!stop.signal.aborted) throw err;
    } finally {
      this.peer.off('close', onClose);
    }
  }
}

export class Peer extends EventEmitter<PeerEvents> {
  readonly connection: RlpxConnection;
  /** The remote's 64-byte public key, as proven by the handshake. */
  readonly remotePublicKey: Uint8Array;
  /** Resolves with the remote Hello; rejects with the error that closed the peer first. */
  readonly ready: Promise<Hello>;
  /** Resolves once, when the peer is closed and its socket is gone. */
  readonly closed: Promise<CloseInfo>;

  readonly #opts: ReturnType<typeof checkPeerOptions>;
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

  readonly #rtt = new RttStats();
  #outstanding: PendingPing[] = [];
  #health: HealthState = 'healthy';
  #helloTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #pongTimer: NodeJS.Timeout | undefined;
  #pingTokens: number;
  #pingTokensAt = performance.now();
  #answerPings: boolean;
  /** Pongs skipped because our write buffer was backed up. */
  pongsSkipped = 0;

  constructor(connection: RlpxConnection, options: PeerOptions) {
    super();
    this.#opts = checkPeerOptions(options);
    this.#protocols = options.protocols ?? [];
    this.#requireShared = options.requireSharedProtocol ?? this.#protocols.length > 0;
    this.#pingTokens = this.#opts.pingBurst;
    this.#answerPings = this.#opts.answerPings;
    this.connection = connection;
    this.remotePublicKey = connection.remotePublicKey;
    this.#localId = publicKeyOf(options.privateKey);
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A caller that only listens for 'close' must not see an unhandled rejection.
    this.ready.catch(() => {});
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));

    const hello: Hello = {
      version: P2P_VERSION,
      clientId: this.#opts.clientId,
      capabilities: this.#protocols.map((p) => ({ name: p.name, version: p.version })),
      listenPort: this.#opts.listenPort,
      nodeId: this.#localId,
    };
    // Our Hello goes out first and uncompressed; theirs is read concurrently.
    connection.send(P2PCode.Hello, encodeHello(hello), { compress: false }).catch(() => {});
    this.#helloTimer = setTimeout(
      () => this.#fail(new TimeoutError(`no Hello within ${this.#opts.helloTimeout} ms`, DisconnectReason.ReadTimeout)),
      this.#opts.helloTimeout,
    );
    connection.setLenientCodes([P2PCode.Disconnect]);
    // Until Hello only small base-protocol messages are legal: a header that announces more is
    // refused before a byte of its body is buffered.
    connection.setMaxFrameSize(BASE_PROTOCOL_MAX_MESSAGE_SIZE + 16);
    connection.start({
      message: (msg) => this.#onMessage(msg),
      error: (err) => this.#onConnectionError(err),
      end: () => this.#onEnd(),
    });
  }

  /** Hex node public key, handy for logs. */
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

  /** Stop or resume answering Pings (see PeerOptions.answerPings). */
  set answerPings(on: boolean) {
    this.#answerPings = on;
  }

  get health(): HealthState {
    return this.#health;
  }

  get rtt(): RttSnapshot {
    return this.#rtt.snapshot();
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
    return new Promise<number>((resolve, reject) => {
      const entry: PendingPing = { sentAt: 0 };
      const signal = options.signal;
      const onAbort = (): void => {
        // Stay in the queue so later Pongs still match their Pings; only stop waiting.
        entry.resolve = entry.reject = undefined;
        reject(signal!.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.resolve = (rtt) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(rtt);
      };
      entry.reject = (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      this.#sendPing(entry);
    });
  }

  /** Close locally: send Disconnect with `reason`, wait at most 1 s for it to leave, close. */
  disconnect(reason: DisconnectReason = DisconnectReason.Requested): Promise<CloseInfo> {
    this.#close({ reason, initiator: 'local' });
    return this.closed;
  }

  /** Tear down without sending anything. */
  destroy(error?: Error): void {
    this.#close({ reason: DisconnectReason.NetworkError, initiator: 'local', error }, false);
  }

  /** @internal Used by ProtocolChannel. */
  _send(code: number, payload: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.isClosing) return Promise.reject(new NetworkError('peer is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    return this.connection.send(code, payload);
  }

  #onMessage(msg: Message): void {
    if (this.isClosing) return;
    if (!this.#hello) return this.#onHandshakeMessage(msg);
    switch (msg.code) {
      case P2PCode.Hello:
        throw new ProtocolError('second Hello');
      case P2PCode.Disconnect:
        return this.#onDisconnect(msg);
      case P2PCode.Ping:
        return this.#onPing();
      case P2PCode.Pong:
        return this.#onPong();
      default:
        if (msg.code < BASE_PROTOCOL_LENGTH) return; // reserved, ignored as geth does
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
    this.emit('ready', hello);
    for (const ch of this.#channels) {
      const p = this.#protocols.find((x) => x.name === ch.name && x.version === ch.version)!;
      if (!p.run) continue;
      try {
        p.run(ch);
      } catch (err) {
        return this.#fail(asSubprotocolError(err, ch.name));
      }
      if (this.isClosing) return;
    }
  }

  #dispatch(msg: Message): void {
    const ch = this.#channels.find((c) => msg.code >= c.offset && msg.code < c.offset + c.length);
    if (!ch) throw new ProtocolError(`message code 0x${msg.code.toString(16)} belongs to no running protocol`);
    try {
      ch.emit('message', msg.code - ch.offset, msg.payload);
      this.emit('message', ch.name, msg.code - ch.offset, msg.payload);
    } catch (err) {
      this.#fail(asSubprotocolError(err, ch.name));
    }
  }

  #onDisconnect(msg: Message): void {
    const reason = decodeDisconnect(msg.payload) ?? (msg.raw ? decodeDisconnect(msg.raw) : undefined);
    const code = reason ?? DisconnectReason.Requested;
    const error = reason === undefined ? new DisconnectedError(-1, 'remote sent Disconnect without a readable reason') : undefined;
    this.#close({ reason: code, initiator: 'remote', ...(error ? { error } : {}) });
  }

  #onPing(): void {
    this.emit('ping');
    const now = performance.now();
    const { maxPingRate, pingBurst } = this.#opts;
    this.#pingTokens = Math.min(pingBurst, this.#pingTokens + ((now - this.#pingTokensAt) / 1000) * maxPingRate);
    this.#pingTokensAt = now;
    if (this.#pingTokens < 1) throw new ProtocolError(`Ping flood: more than ${maxPingRate}/s sustained`);
    this.#pingTokens -= 1;
    if (!this.#answerPings) return;
    // Answer at once, but never queue Pongs behind a write backlog: a flood must not grow memory.
    if (this.connection.pendingWriteBytes > PONG_BACKLOG_LIMIT) {
      this.pongsSkipped++;
      return;
    }
    this.connection.sendBody(this.connection.snappy ? PONG_BODY.snappy : PONG_BODY.plain).catch(() => {});
  }

  #onPong(): void {
    const entry = this.#outstanding.shift();
    if (!entry) return; // unsolicited Pong: geth sends none, and they are harmless
    if (this.#outstanding.length === 0) this.#outstanding = []; // drop a grown backing store
    const rtt = performance.now() - entry.sentAt;
    this.#rtt.record(rtt);
    entry.resolve?.(rtt);
    this.emit('pong', rtt);
    this.#armPongDeadline();
    this.#setHealth(this.#outstanding.length > 0 && this.#isLate(this.#outstanding[0]!) ? 'late' : 'healthy');
  }

  #sendPing(entry: PendingPing): void {
    entry.sentAt = performance.now();
    this.#outstanding.push(entry);
    this.#rtt.sent++;
    if (this.#outstanding.length > MAX_OUTSTANDING_PINGS) {
      const dropped = this.#outstanding.shift()!;
      if (!dropped.overdue) this.#rtt.missed++;
      dropped.reject?.(new TimeoutError('Ping dropped: too many outstanding'));
    }
    this.connection.sendBody(this.connection.snappy ? PING_BODY.snappy : PING_BODY.plain).catch(() => {});
    if (!this.#pongTimer) this.#armPongDeadline();
  }

  #isLate(p: PendingPing): boolean {
    return performance.now() - p.sentAt > this.#opts.pongTimeout / 2;
  }

  #startPingLoop(): void {
    if (this.#opts.pingInterval === 0) return;
    this.#pingTimer = setInterval(() => {
      if (this.isClosing) return;
      if (this.#outstanding.length > 0 && this.#isLate(this.#outstanding[0]!)) this.#setHealth('late');
      this.#sendPing({ sentAt: 0 });
    }, this.#opts.pingInterval);
    this.#pingTimer.unref();
  }

  /** (Re)arm the deadline for the oldest outstanding Ping not yet overdue. */
  #armPongDeadline(): void {
    if (this.#pongTimer) clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
    const oldest = this.#outstanding.find((p) => !p.overdue);
    if (!oldest) return;
    const wait = Math.max(0, oldest.sentAt + this.#opts.pongTimeout - performance.now());
    this.#pongTimer = setTimeout(() => this.#onPongTimeout(), wait);
    this.#pongTimer.unref();
  }

  #onPongTimeout(): void {
    this.#pongTimer = undefined;
    const oldest = this.#outstanding.find((p) => !p.overdue);
    if (!oldest || this.isClosing) return;
    const err = new TimeoutError(`no Pong within ${this.#opts.pongTimeout} ms`, DisconnectReason.ReadTimeout);
    this.#rtt.missed++;
    if (this.#opts.healthMode === 'l7') {
      this.#setHealth('unresponsive');
      return this.#fail(err);
    }
    // geth mode: a missing Pong is counted, never acted on. The Ping stays queued so later
    // Pongs still match their Pings, but an on-demand caller stops waiting.
    oldest.overdue = true;
    oldest.reject?.(err);
    oldest.resolve = oldest.reject = undefined;
    this.#setHealth('late');
    this.#armPongDeadline();
  }

  #setHealth(state: HealthState): void {
    if (state === this.#health) return;
    const previous = this.#health;
    this.#health = state;
    this.emit('health', { state, previous, rtt: this.#rtt.snapshot() });
  }

  #onConnectionError(err: RlpxError): void {
    // A socket that ended or failed cannot carry a Disconnect; the remote ended it.
    if (err instanceof NetworkError) this.#close({ reason: err.reason, initiator: 'remote', error: err }, false);
    else this.#fail(err);
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
    clearTimeout(this.#pongTimer);
    this.#helloTimer = this.#pingTimer = this.#pongTimer = undefined;

    const closeError = info.error ?? (info.initiator === 'remote' ? new DisconnectedError(info.reason, `remote disconnected: ${full.name}`) : new NetworkError(`disconnected: ${full.name}`));
    for (const p of this.#outstanding) p.reject?.(closeError);
    this.#outstanding = [];
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
    if (conn.closed) this.#onEnd();
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
    setImmediate(() => this.emit('close', info));
  }
}

function asSubprotocolError(err: unknown, name: string): RlpxError {
  if (err instanceof RlpxError) return err;
  return new ProtocolError(`${name}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
    reason: DisconnectReason.SubprotocolError,
  });
}
