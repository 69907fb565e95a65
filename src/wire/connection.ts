/**
 * An RLPx connection over a node:net socket (geth's rlpx.Conn): the handshake with its
 * deadline, then framed messages in both directions with read and write deadlines and
 * bounded buffering. It knows message codes and snappy, nothing of Hello or Ping.
 *
 * One owner (the Peer) receives messages, one error and one end through callbacks, called
 * from the socket's events in order, so the owner runs exactly one read loop.
 */
import type { Socket } from 'node:net';
import { HandshakeError, NetworkError, ProtocolError, RlpxError, SnappyError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { checkInteger, MAX_TIMER_MS } from '../options.js';
import { asBuffer } from '../crypto/bytes.js';
import { ByteQueue } from './byte-queue.js';
import { FrameReader, FrameSealer, frameWireSize, MAX_FRAME_SIZE } from './frame.js';
import { HandshakeState, handshakePacketSize, type Secrets } from './handshake.js';
import { decodeCode, decodeMessage, encodeMessage, MAX_MESSAGE_SIZE, type Message } from './message.js';

export interface ConnectionOptions {
  /** Deadline for the whole handshake, ms (geth: 5 s). */
  handshakeTimeout?: number;
  /** Close when no frame arrives for this long, ms (geth: 30 s). 0 disables. */
  readTimeout?: number;
  /** Close when written data cannot drain for this long, ms (geth: 20 s). */
  writeTimeout?: number;
  /** Most bytes we let sit in the socket's write buffer; sends beyond it are refused. */
  maxWriteBuffer?: number;
  /** Largest frame body accepted. */
  maxFrameSize?: number;
  signal?: AbortSignal;
}

export const CONNECTION_DEFAULTS = Object.freeze({
  handshakeTimeout: 5_000,
  readTimeout: 30_000,
  writeTimeout: 20_000,
  maxWriteBuffer: 16 * 1024 * 1024,
  maxFrameSize: MAX_FRAME_SIZE,
});

const ignore = (): void => {};
function destroyQuietly(socket: Socket): void {
  socket.on('error', ignore);
  socket.destroy();
}
const owners = new WeakMap<Socket, RlpxConnection>();
type CheckedOptions = Readonly<Required<Omit<ConnectionOptions, 'signal'>>>;
/** One checked copy per options object: a server's thousands of connections share it. */
const checked = new WeakMap<ConnectionOptions, CheckedOptions>();

/** Validate connection options once per options object (dial() and listen() call it up front). */
export function checkConnectionOptions(o: ConnectionOptions): CheckedOptions {
  const cached = checked.get(o);
  if (cached) return cached;
  const r = {
    handshakeTimeout: o.handshakeTimeout ?? CONNECTION_DEFAULTS.handshakeTimeout,
    readTimeout: o.readTimeout ?? CONNECTION_DEFAULTS.readTimeout,
    writeTimeout: o.writeTimeout ?? CONNECTION_DEFAULTS.writeTimeout,
    maxWriteBuffer: o.maxWriteBuffer ?? CONNECTION_DEFAULTS.maxWriteBuffer,
    maxFrameSize: o.maxFrameSize ?? CONNECTION_DEFAULTS.maxFrameSize,
  };
  for (const k of ['handshakeTimeout', 'readTimeout', 'writeTimeout'] as const) checkInteger(k, r[k], 0, MAX_TIMER_MS);
  checkInteger('maxWriteBuffer', r.maxWriteBuffer);
  checkInteger('maxFrameSize', r.maxFrameSize, 0, MAX_FRAME_SIZE);
  checked.set(o, r);
  return r;
}

export interface ConnectionHandlers {
  message(msg: Message): void;
  /** Called once with the error that ended reading or writing; the socket is still open. */
  error(err: RlpxError): void;
  /** Called once when the socket is gone. */
  end(): void;
}

export class RlpxConnection {
  readonly remotePublicKey: Uint8Array;
  readonly socket: Socket;
  readonly #sealer: FrameSealer;
  readonly #reader: FrameReader;
  readonly #opts: CheckedOptions;
  #handlers: ConnectionHandlers | undefined;
  #snappy = false;
  /** Outstanding pauseReading() calls. */
  #holds = 0;
  #lenient: ReadonlySet<number> = new Set();
  #maxMessageSize = MAX_MESSAGE_SIZE;
  #readTimer: NodeJS.Timeout | undefined;
  #writeTimer: NodeJS.Timeout | undefined;
  #failed = false;
  #pendingError: RlpxError | undefined;
  #ended = false;

  private constructor(socket: Socket, secrets: Secrets, leftover: Uint8Array[], opts: CheckedOptions) {
    this.socket = socket;
    this.remotePublicKey = secrets.remotePublicKey;
    this.#sealer = new FrameSealer(secrets);
    this.#reader = new FrameReader(secrets, { maxFrameSize: opts.maxFrameSize });
    this.#opts = opts;
    for (const c of leftover) this.#reader.push(c);
    socket.pause();
    // Listen for failure from the first moment: an 'error' with no listener would crash the process.
    owners.set(socket, this);
    socket.on('error', RlpxConnection.#onSocketError);
    socket.on('end', RlpxConnection.#onSocketEnd);
    socket.on('close', RlpxConnection.#onSocketClose);
    socket.on('drain', RlpxConnection.#onSocketDrain);
  }

  // Socket listeners are shared functions that find their connection through `owners`, rather
  // than five closures per connection: at 10,000 peers that is ~3 MB of heap.
  static #onSocketError(this: Socket, err: Error): void {
    owners.get(this)!.#fail(new NetworkError(`socket error: ${err.message}`, { cause: err }));
  }
  static #onSocketEnd(this: Socket): void {
    owners.get(this)!.#fail(new NetworkError('remote closed the connection'));
  }
  static #onSocketClose(this: Socket): void {
    owners.get(this)!.#onClose();
  }
  static #onSocketDrain(this: Socket): void {
    owners.get(this)!.#clearWriteTimer();
  }
  static #onSocketData(this: Socket, chunk: Buffer): void {
    owners.get(this)!.#onData(chunk);
  }

  /** Dial side: send auth, read ack. */
  static async initiate(
    socket: Socket,
    privateKey: Uint8Array,
    remotePublicKey: Uint8Array,
    options: ConnectionOptions = {},
  ): Promise<RlpxConnection> {
    let opts: CheckedOptions;
    let state: HandshakeState;
    try {
      opts = checkConnectionOptions(options);
      state = HandshakeState.initiator(remotePublicKey, { privateKey });
    } catch (err) {
      destroyQuietly(socket); // the caller handed us the socket: it must not outlive a failure
      throw err;
    }
    return runHandshake(socket, opts, options.signal, async (io) => {
      io.write(state.makeAuth());
      state.readAck(await io.readPacket());
      return state.secrets();
    });
  }

  /** Listen side: read auth, send ack. */
  static async accept(socket: Socket, privateKey: Uint8Array, options: ConnectionOptions = {}): Promise<RlpxConnection> {
    let opts: CheckedOptions;
    let state: HandshakeState;
    try {
      opts = checkConnectionOptions(options);
      state = HandshakeState.recipient({ privateKey });
    } catch (err) {
      destroyQuietly(socket);
      throw err;
    }
    return runHandshake(socket, opts, options.signal, async (io) => {
      state.readAuth(await io.readPacket());
      io.write(state.makeAck());
      return state.secrets();
    });
  }

  /** @internal */
  static _create(socket: Socket, secrets: Secrets, leftover: Uint8Array[], opts: CheckedOptions): RlpxConnection {
    return new RlpxConnection(socket, secrets, leftover, opts);
  }

  /** Compress payloads both ways from now on (after a Hello with p2p version >= 5). */
  setSnappy(on: boolean): void {
    this.#snappy = on;
  }

  /**
   * Codes whose payload is delivered raw (in `raw`, with an empty `payload`) when it is not
   * valid snappy, instead of failing the connection.
   */
  setLenientCodes(codes: readonly number[]): void {
    this.#lenient = new Set(codes);
  }

  /** Cap on the body of frames not yet read, at most the connection's maxFrameSize option. */
  setMaxFrameSize(size: number): void {
    this.#reader.maxFrameSize = Math.min(size, this.#opts.maxFrameSize);
  }

  /** Cap on one message's (decoded) payload. */
  setMaxMessageSize(size: number): void {
    this.#maxMessageSize = size;
  }

  /** The socket is destroyed or going away: nothing more can be sent. */
  get closed(): boolean {
    return this.#ended || this.socket.destroyed;
  }

  /** The socket's 'close' event has happened. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Start delivering messages. Frames that arrived with the handshake are delivered first. */
  start(handlers: ConnectionHandlers): void {
    if (this.#handlers) throw new Error('connection already started');
    this.#handlers = handlers;
    const s = this.socket;
    if (this.#pendingError) {
      const err = this.#pendingError;
      queueMicrotask(() => handlers.error(err));
    }
    if (this.#ended) {
      queueMicrotask(() => handlers.end());
      return;
    }
    s.on('data', RlpxConnection.#onSocketData);
    this.#armReadDeadline();
    this.#drainReader();
    if (!this.#failed && this.#holds === 0) s.resume();
  }

  /**
   * Stop reading from the socket until as many resumeReading() calls: backpressure from a
   * consumer that cannot keep up. The read deadline is suspended meanwhile, since the wait is
   * ours, not the remote's (geth's read loop likewise blocks without a deadline).
   */
  pauseReading(): void {
    if (this.#holds++ > 0 || this.closed) return;
    this.socket.pause();
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = undefined;
  }

  resumeReading(): void {
    if (this.#holds === 0 || --this.#holds > 0 || this.closed || this.#failed || !this.#handlers) return;
    this.#armReadDeadline();
    this.socket.resume();
  }

  #armReadDeadline(): void {
    if (this.#opts.readTimeout === 0 || this.#holds > 0) return;
    this.#readTimer = setTimeout(
      () => this.#fail(new TimeoutError(`no message for ${this.#opts.readTimeout} ms`, DisconnectReason.ReadTimeout)),
      this.#opts.readTimeout,
    );
    this.#readTimer.unref();
  }

  /**
   * Send one message. Resolves when the frame is handed to the kernel; rejects with a typed
   * error when the connection is gone or its write buffer is full.
   */
  send(code: number, payload: Uint8Array, options: { compress?: boolean } = {}): Promise<void> {
    let body: Uint8Array;
    try {
      body = encodeMessage(code, payload, options.compress ?? this.#snappy);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.sendBody(body);
  }

  /** Whether payloads are snappy-compressed now (see setSnappy). */
  get snappy(): boolean {
    return this.#snappy;
  }

  /**
   * Send a message already encoded as a frame body (see encodeMessage), compressed as the
   * connection currently requires: for constant messages sent often, such as Ping and Pong.
   */
  sendBody(body: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new NetworkError('connection is closed'));
    if (body.length > MAX_FRAME_SIZE) {
      return Promise.reject(new RangeError(`message of ${body.length} bytes (encoded) exceeds the ${MAX_FRAME_SIZE}-byte frame limit`));
    }
    // Checked before sealing: sealing advances the egress keystream and MAC, so a frame that
    // is sealed and then not written would corrupt every frame after it.
    if (this.socket.writableLength + frameWireSize(body.length) > this.#opts.maxWriteBuffer) {
      return Promise.reject(new NetworkError(`write buffer full (${this.socket.writableLength} bytes pending)`));
    }
    const frame = this.#sealer.seal(body);
    return new Promise((resolve, reject) => {
      this.socket.write(asBuffer(frame), (err) => (err ? reject(new NetworkError(`write failed: ${err.message}`, { cause: err })) : resolve()));
      if (this.socket.writableNeedDrain && !this.#writeTimer && this.#opts.writeTimeout > 0) {
        this.#writeTimer = setTimeout(
          () => this.#fail(new TimeoutError(`writes stalled for ${this.#opts.writeTimeout} ms`, DisconnectReason.NetworkError)),
          this.#opts.writeTimeout,
        );
        this.#writeTimer.unref();
      }
    });
  }

  /** Bytes written by us but not yet taken by the kernel. */
  get pendingWriteBytes(): number {
    return this.socket.writableLength;
  }

  /** Tear the socket down now. */
  destroy(): void {
    this.#stopTimers();
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#failed) return;
    this.#reader.push(chunk);
    this.#drainReader();
  }

  #drainReader(): void {
    try {
      for (;;) {
        if (this.#failed) return;
        const body = this.#reader.read();
        if (!body) return;
        this.#readTimer?.refresh();
        this.#handlers!.message(this.#decode(body));
      }
    } catch (err) {
      if (err instanceof RlpxError) this.#fail(err);
      else this.#fail(new ProtocolError(`unexpected error while reading: ${(err as Error).message}`, { cause: err }));
    }
  }

  #decode(body: Uint8Array): Message {
    try {
      return decodeMessage(body, this.#snappy, this.#maxMessageSize);
    } catch (err) {
      if (!(err instanceof SnappyError)) throw err;
      const { code, offset } = decodeCode(body);
      if (!this.#lenient.has(code)) throw err;
      return { code, payload: new Uint8Array(0), raw: body.subarray(offset) };
    }
  }

  #fail(err: RlpxError): void {
    if (this.#failed || this.#ended) return;
    this.#failed = true;
    this.socket.pause();
    this.#stopTimers();
    if (this.#handlers) this.#handlers.error(err);
    else this.#pendingError = err;
  }

  #onClose(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#stopTimers();
    this.#handlers?.end();
  }

  #clearWriteTimer(): void {
    if (this.#writeTimer) clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
  }

  #stopTimers(): void {
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = undefined;
    this.#clearWriteTimer();
  }
}

interface HandshakeIo {
  write(packet: Uint8Array): void;
  readPacket(): Promise<Uint8Array>;
}

async function runHandshake(
  socket: Socket,
  opts: CheckedOptions,
  signal: AbortSignal | undefined,
  steps: (io: HandshakeIo) => Promise<Secrets>,
): Promise<RlpxConnection> {
  socket.setNoDelay(true);
  const queue = new ByteQueue();
  let wake: (() => void) | undefined;
  let failure: RlpxError | undefined;

  const fail = (err: RlpxError): void => {
    failure ??= err;
    wake?.();
  };
  const onData = (c: Buffer): void => {
    queue.push(c);
    wake?.();
  };
  const onError = (err: Error): void => fail(new NetworkError(`socket error during handshake: ${err.message}`, { cause: err }));
  const onEnd = (): void => fail(new HandshakeError('remote closed the connection during the handshake', { reason: DisconnectReason.NetworkError }));
  const timer = setTimeout(
    () => fail(new TimeoutError(`handshake did not complete within ${opts.handshakeTimeout} ms`, DisconnectReason.ReadTimeout)),
    opts.handshakeTimeout,
  );
  const onAbort = (): void => fail(new NetworkError('handshake aborted', { cause: signal?.reason }));
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.on('close', onEnd);

  const waitFor = async (n: number): Promise<void> => {
    while (queue.length < n) {
      if (failure) throw failure;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    if (failure) throw failure;
  };
  const io: HandshakeIo = {
    write(packet) {
      socket.write(asBuffer(packet));
    },
    async readPacket() {
      await waitFor(2);
      // The size is checked against the cap before waiting for (or decrypting) the body.
      const total = handshakePacketSize(Uint8Array.of(queue.peek(0), queue.peek(1)));
      await waitFor(total);
      return queue.take(total);
    },
  };

  const detach = (): void => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
  };
  try {
    const secrets = await steps(io);
    if (failure) throw failure;
    // The connection's own listeners replace ours; detaching first keeps the socket's listener
    // lists at their small size (it matters at 10,000 peers). Pausing first keeps bytes that
    // arrive in between in the socket's buffer.
    socket.pause();
    detach();
    return RlpxConnection._create(socket, secrets, queue.drain(), opts);
  } catch (err) {
    destroyQuietly(socket);
    if (err instanceof RlpxError) throw err;
    throw new HandshakeError(`handshake failed: ${(err as Error).message}`, { cause: err });
  } finally {
    detach();
  }
}
