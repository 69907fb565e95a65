/**
 * An RLPx connection over a node:net socket (geth's rlpx.Conn): framed messages in both
 * directions once the handshake is done. It knows message codes and snappy, nothing of Hello
 * or Ping. The handshake is driven by socket-handshake.ts, writes by frame-writer.ts, read
 * pauses and the read deadline by read-flow.ts.
 *
 * One owner at a time receives messages, one error and one end through callbacks, called
 * from the socket's events in order, so the owner runs exactly one read loop. Ownership can
 * be handed over (stop, then start): the Hello phase reads first, then the Peer.
 */
import type { Socket } from 'node:net';
import { asRlpxError, ClosedError, NetworkError, type RlpxError, SnappyError, withoutStack } from '../errors.js';
import { FrameReader, FrameSealer } from './frame.js';
import { FrameWriter } from './frame-writer.js';
import { HandshakeState, type Secrets } from './handshake.js';
import { decodeCode, decodeMessage, encodeMessage, MAX_MESSAGE_SIZE, type Message } from './message.js';
import { ReadFlow } from './read-flow.js';
import { bindSocket, destroySocket, type SocketSink } from './socket-events.js';
import { runHandshake, type Handshaken, type HandshakeIo } from './socket-handshake.js';
import { checkSignal } from '../abort.js';

/** A connection's settings, checked (see connectionConfig in rlpx's options). */
export interface ConnectionConfig {
  /** Deadline for the whole handshake, ms. */
  readonly handshakeTimeout: number;
  /** Close when no frame arrives for this long, ms; 0 disables. */
  readonly readTimeout: number;
  /** Close when written data cannot drain for this long, ms; 0 disables. */
  readonly writeTimeout: number;
  /** Most bytes we let sit in the socket's write buffer; sends beyond it are refused. */
  readonly maxWriteBuffer: number;
  /** Largest frame body accepted. */
  readonly maxFrameSize: number;
}

export interface ConnectionHandlers {
  message(msg: Message): void;
  /**
   * A message whose payload is not valid snappy. Absent, or throwing, fails the connection
   * with `error`; returning accepts it (an old peer's uncompressed Disconnect, say).
   */
  undecodable?(code: number, raw: Uint8Array, error: SnappyError): void;
  /** Called once with the error that ended reading or writing; the socket is still open. */
  error(err: RlpxError): void;
  /** Called once when the socket is gone. */
  end(): void;
}

/**
 * idle: no owner (just handshaken, or between owners); open: delivering to the owner;
 * failed: an error ended reading and writing, the socket awaits destroy(); ended: gone.
 */
type State = 'idle' | 'open' | 'failed' | 'ended';

/** A deadline's failure, for the connection that is its owner: one function for all connections. */
let failConnection: (err: RlpxError, conn: unknown) => void;

export class RlpxConnection implements SocketSink {
  readonly remotePublicKey: Uint8Array;
  readonly socket: Socket;
  readonly #reader: FrameReader;
  readonly #writer: FrameWriter;
  readonly #flow: ReadFlow;
  readonly #maxFrameSize: number;
  #state: State = 'idle';
  #handlers: ConnectionHandlers | undefined;
  /** An error that came while there was no owner, for the next one. */
  #pendingError: RlpxError | undefined;
  #snappy = false;
  #maxMessageSize = MAX_MESSAGE_SIZE;

  private constructor(socket: Socket, h: Handshaken, config: ConnectionConfig) {
    this.socket = socket;
    this.remotePublicKey = h.secrets.remotePublicKey;
    this.#maxFrameSize = config.maxFrameSize;
    this.#reader = new FrameReader(h.secrets, { maxFrameSize: config.maxFrameSize });
    this.#writer = new FrameWriter(socket, new FrameSealer(h.secrets), config, failConnection, this);
    this.#flow = new ReadFlow(socket, config.readTimeout, failConnection, this);
    for (const c of h.leftover) this.#reader.push(c);
    bindSocket(socket, this);
  }

  static {
    failConnection = (err, conn) => (conn as RlpxConnection).#fail(err);
  }

  /** Dial side: send auth, read ack. The socket is ours from here on, failure or not. */
  static initiate(
    socket: Socket,
    privateKey: Uint8Array,
    remotePublicKey: Uint8Array,
    config: ConnectionConfig,
    options: { signal?: AbortSignal } = {},
  ): Promise<RlpxConnection> {
    return RlpxConnection.#handshake(socket, config, options.signal, () => HandshakeState.initiator(remotePublicKey, { privateKey }), async (state, io) => {
      io.write(state.makeAuth());
      state.readAck(await io.readPacket());
    });
  }

  /** Listen side: read auth, send ack. The socket is ours from here on, failure or not. */
  static accept(socket: Socket, privateKey: Uint8Array, config: ConnectionConfig, options: { signal?: AbortSignal } = {}): Promise<RlpxConnection> {
    return RlpxConnection.#handshake(socket, config, options.signal, () => HandshakeState.recipient({ privateKey }), async (state, io) => {
      state.readAuth(await io.readPacket());
      io.writeLast(state.makeAck());
    });
  }

  static #handshake(
    socket: Socket,
    config: ConnectionConfig,
    signal: AbortSignal | undefined,
    makeState: () => HandshakeState,
    steps: (state: HandshakeState, io: HandshakeIo) => Promise<void>,
  ): Promise<RlpxConnection> {
    let state: HandshakeState;
    try {
      state = makeState(); // a bad key: the socket must not outlive the failure
    } catch (err) {
      destroySocket(socket);
      return Promise.reject(err);
    }
    const run = async (io: HandshakeIo): Promise<Secrets> => {
      await steps(state, io);
      return state.secrets();
    };
    checkSignal(signal);
    return runHandshake(socket, config.handshakeTimeout, signal, run, (h) => new RlpxConnection(socket, h, config));
  }

  /** Compress payloads both ways from now on (after a Hello with p2p version >= 5). */
  setSnappy(on: boolean): void {
    this.#snappy = on;
  }

  /** Whether payloads are snappy-compressed now (see setSnappy). */
  get snappy(): boolean {
    return this.#snappy;
  }

  /** Cap on the body of frames not yet read, at most the connection's maxFrameSize. */
  setMaxFrameSize(size: number): void {
    this.#reader.maxFrameSize = Math.min(size, this.#maxFrameSize);
  }

  /** Cap on one message's (decoded) payload. */
  setMaxMessageSize(size: number): void {
    this.#maxMessageSize = size;
  }

  /** The socket is destroyed or going away: nothing more can be sent. */
  get closed(): boolean {
    return this.#state === 'ended' || this.socket.destroyed;
  }

  /** The socket's 'close' event has happened. */
  get ended(): boolean {
    return this.#state === 'ended';
  }

  /** Become the owner and start delivering; frames already received are delivered first. */
  start(handlers: ConnectionHandlers): void {
    if (this.#handlers) throw new Error('connection already has an owner');
    this.#handlers = handlers;
    const pending = this.#pendingError;
    this.#pendingError = undefined;
    if (pending) queueMicrotask(() => handlers.error(pending));
    if (this.#state === 'ended') queueMicrotask(() => handlers.end());
    if (this.#state !== 'idle') return;
    this.#state = 'open';
    this.#flow.arm();
    this.#drain();
    if (this.#state === 'open' && !this.#flow.held) this.socket.resume();
  }

  /** Stop delivering and give up ownership; frames keep waiting for the next start(). */
  stop(): void {
    this.#handlers = undefined;
    if (this.#state !== 'open') return;
    this.#state = 'idle';
    this.socket.pause();
    this.#flow.disarm();
  }

  /**
   * Stop reading from the socket until as many resumeReading() calls: backpressure from a
   * consumer that cannot keep up (see read-flow.ts).
   */
  pauseReading(): void {
    if (this.#state === 'open' || this.#state === 'idle') this.#flow.hold();
  }

  resumeReading(): void {
    if (!this.#flow.release() || this.#state !== 'open') return;
    this.#flow.arm();
    this.socket.resume();
  }

  /**
   * Send one message. Resolves when the frame is queued for this tick's socket write (with
   * `written`: when that write is handed to the kernel). While the write buffer is over
   * maxWriteBuffer it waits, in order (see frame-writer.ts); it rejects on close, on abort, or
   * when writes stall past writeTimeout.
   */
  send(code: number, payload: Uint8Array, options: { compress?: boolean; signal?: AbortSignal; written?: boolean } = {}): Promise<void> {
    let body: Uint8Array;
    try {
      body = encodeMessage(code, payload, options.compress ?? this.#snappy);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.sendBody(body, options.signal, options.written);
  }

  /**
   * Send a message already encoded as a frame body (see encodeMessage), compressed as the
   * connection currently requires: for constant messages sent often, such as Ping and Pong.
   */
  sendBody(body: Uint8Array, signal?: AbortSignal, written?: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('connection is closed'));
    return this.#writer.write(body, signal, written);
  }

  /** Resolves when a send would be written at once: nothing waits and the buffer has room. */
  writable(): Promise<void> {
    return this.#writer.writable();
  }

  /** Tear the socket down now. */
  destroy(): void {
    this.#flow.disarm();
    this.#writer.close();
    this.socket.destroy();
  }

  // SocketSink: the socket's events, routed here by socket-events.ts.

  data(chunk: Buffer): void {
    if (this.#state === 'failed' || this.#state === 'ended') return;
    this.#reader.push(chunk);
    if (this.#state === 'open') this.#drain();
  }

  error(err: Error): void {
    this.#fail(new NetworkError(`socket error: ${err.message}`, { cause: err }));
  }

  end(): void {
    if (this.#state === 'failed' || this.#state === 'ended') return;
    this.#fail(withoutStack(() => new NetworkError('remote closed the connection')));
  }

  close(): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#flow.disarm();
    this.#writer.close();
    this.#handlers?.end();
  }

  drain(): void {
    this.#writer.drained();
  }

  /** The read loop: deliver every complete frame, in order, while we are the open owner's. */
  #drain(): void {
    try {
      while (this.#state === 'open') {
        const body = this.#reader.read();
        if (!body) return;
        this.#flow.refresh();
        this.#deliver(body);
      }
    } catch (err) {
      // A non-RlpxError is a bug of ours or of the owner's handler, never the remote's breach.
      this.#fail(asRlpxError(err, 'reading a message'));
    }
  }

  #deliver(body: Uint8Array): void {
    const handlers = this.#handlers!;
    let msg: Message;
    try {
      msg = decodeMessage(body, this.#snappy, this.#maxMessageSize);
    } catch (err) {
      if (!(err instanceof SnappyError) || !handlers.undecodable) throw err;
      const { code, offset } = decodeCode(body);
      return handlers.undecodable(code, body.subarray(offset), err);
    }
    handlers.message(msg);
  }

  #fail(err: RlpxError): void {
    if (this.#state === 'failed' || this.#state === 'ended') return;
    this.#state = 'failed';
    this.socket.pause();
    this.#flow.disarm();
    // Sends still waiting will not go out; the owner's Disconnect, if any, may still.
    this.#writer.abandon(err);
    if (this.#handlers) this.#handlers.error(err);
    else this.#pendingError = err;
  }
}
