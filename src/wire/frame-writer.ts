/**
 * The write path of a connection: seal frame bodies and hand them to the socket in order,
 * with a cap on what may wait in the socket's buffer and a deadline for it to drain
 * (geth: 20 s per write).
 *
 * A send over the cap waits (as geth's WriteMsg blocks) instead of failing: its body is
 * queued unsealed, because sealing advances the egress keystream and MAC, so a frame must be
 * sealed only when it is certain to be written, and in the order it was sent.
 *
 * Frames sealed in the same tick share one socket write (one writev): a write is a syscall,
 * the largest single cost of a small frame. The first frame of a tick, when nothing waits in
 * the socket's buffer, is written at once instead: a request or a reply must not wait for the
 * rest of the tick, and a lone frame has no one to share its write with. The frames that
 * follow it in the same tick are batched. A send under the cap therefore resolves once its
 * frame is sealed and queued for that write, as a Go writer returns once its bytes are in the
 * kernel's buffer; a failing write fails the connection. Past BATCH_BYTES not yet taken by
 * the kernel, a send resolves only after its write and one turn of the event loop, so a
 * sender that awaits each send neither starves the loop nor outruns the kernel. A send that
 * must have left before the socket goes away (a Disconnect) asks for `written`.
 */
import type { Socket } from 'node:net';
import { ClosedError, NetworkError, TimeoutError, type RlpxError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { asBuffer } from '../crypto/bytes.js';
import { emptyList, owned } from './empty-list.js';
import { frameWireSize, MAX_FRAME_SIZE, type FrameSealer } from './frame.js';

export interface WriterConfig {
  readonly maxWriteBuffer: number;
  readonly writeTimeout: number;
}

/** A batch this large is written without waiting for the end of the tick. */
const BATCH_BYTES = 64 * 1024;

/** What every send that is queued at once returns: nothing to wait for. */
const QUEUED = Promise.resolve();

interface Settle {
  resolve(): void;
  reject(err: unknown): void;
}

interface Waiting {
  body: Uint8Array;
  written: boolean;
  resolve(): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** process.nextTick's callback for a writer's batch: one shared function, no closure per tick. */
let writeBatch: (writer: FrameWriter) => void;

/**
 * The current tick, as far as writers need to tell ticks apart: advanced at the end of every
 * tick in which some writer wrote a frame at once (one process.nextTick for all writers).
 */
let tick = 0;
let tickEnding = false;
function endTick(): void {
  tick++;
  tickEnding = false;
}

export class FrameWriter {
  readonly #socket: Socket;
  readonly #sealer: FrameSealer;
  readonly #config: WriterConfig;
  readonly #onStall: (err: TimeoutError, owner: unknown) => void;
  readonly #owner: unknown;
  #waiting: Waiting[] = emptyList();
  #roomWaiters: Array<() => void> = emptyList();
  /** Frames sealed this tick, written together on the next (see #writeBatch). */
  #batch: Buffer[] = emptyList();
  #batchBytes = 0;
  /** Sends that resolve once the current batch is handed to the kernel. */
  #batchWritten: Settle[] = emptyList();
  #stallTimer: NodeJS.Timeout | undefined;
  /** No more writes (close()); the error is built only when something is refused with it. */
  #shut = false;
  #closed: RlpxError | undefined;
  /** The tick in which this writer last wrote a frame at once (see #put). */
  #wroteAtOnce = -1;

  /** `onStall` is called with `owner`: a shared function and its owner cost no closure per connection. */
  constructor(socket: Socket, sealer: FrameSealer, config: WriterConfig, onStall: (err: TimeoutError, owner: unknown) => void, owner?: unknown) {
    this.#socket = socket;
    this.#sealer = sealer;
    this.#config = config;
    this.#onStall = onStall;
    this.#owner = owner;
  }

  /** Sends waiting for room in the socket's buffer. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Seal and write one frame body, in order with every other; resolves once it is queued for
   * this tick's write (with `written`: once that write is handed to the kernel). Waits while
   * the buffer is over its cap; rejects on close, abort, or the write deadline (which fails the
   * whole connection).
   */
  write(body: Uint8Array, signal?: AbortSignal, written = false): Promise<void> {
    if (this.#shut) return Promise.reject(this.#closedError());
    if (body.length > MAX_FRAME_SIZE) {
      return Promise.reject(new RangeError(`message of ${body.length} bytes (encoded) exceeds the ${MAX_FRAME_SIZE}-byte frame limit`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiting.length === 0 && this.#hasRoom(body.length)) {
      const pace = !written && this.#socket.writableLength + this.#batchBytes + frameWireSize(body.length) > BATCH_BYTES;
      if (!written && !pace) {
        this.#put(body, undefined);
        return QUEUED;
      }
      // Past BATCH_BYTES unwritten, a send resolves once its batch is written and a turn of
      // the event loop later: a sender that awaits each send still lets the loop read (the
      // remote's replies, say) between batches, and waits for the kernel once it is full.
      return new Promise((resolve, reject) => this.#put(body, { resolve: pace ? () => setImmediate(resolve) : resolve, reject }));
    }
    return new Promise<void>((resolve, reject) => {
      const entry: Waiting = { body, written, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        entry.onAbort = () => {
          const i = this.#waiting.indexOf(entry);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      (this.#waiting = owned(this.#waiting)).push(entry);
      this.#armStall();
    });
  }

  /** Resolves when a send would be written at once (nothing queued, the buffer under its cap). */
  writable(): Promise<void> {
    if (this.#shut) return Promise.reject(this.#closedError());
    if (this.#waiting.length === 0 && !this.#socket.writableNeedDrain) return QUEUED;
    return new Promise((resolve) => (this.#roomWaiters = owned(this.#roomWaiters)).push(resolve));
  }

  /** The socket's buffer drained: write what waits, while there is room. */
  drained(): void {
    this.#disarmStall();
    this.#flush();
  }

  #flush(): void {
    if (this.#shut) return;
    while (this.#waiting.length > 0 && this.#hasRoom(this.#waiting[0]!.body.length)) {
      const entry = this.#waiting.shift()!;
      if (entry.onAbort) entry.signal!.removeEventListener('abort', entry.onAbort);
      this.#put(entry.body, entry.written ? entry : undefined);
      if (!entry.written) entry.resolve();
    }
    if (this.#waiting.length > 0) this.#armStall();
    else {
      this.#waiting = emptyList();
      if (!this.#socket.writableNeedDrain) this.#wakeRoomWaiters();
    }
  }

  /**
   * Reject every send still waiting with `err`; later writes are still taken (a failed session
   * may still say Disconnect).
   */
  abandon(err: RlpxError): void {
    this.#disarmStall();
    const waiting = this.#waiting;
    this.#waiting = emptyList();
    for (const entry of waiting) {
      if (entry.onAbort) entry.signal!.removeEventListener('abort', entry.onAbort);
      entry.reject(err);
    }
    this.#wakeRoomWaiters();
  }

  /** No more writes: everything waiting is rejected. */
  close(): void {
    this.#shut = true;
    if (this.#waiting.length > 0) return this.abandon(this.#closedError());
    this.#disarmStall();
    this.#wakeRoomWaiters();
  }

  #closedError(): RlpxError {
    return (this.#closed ??= new ClosedError('connection is closed'));
  }

  /**
   * A frame fits when the buffer has room for it, or when the buffer is empty: a frame larger
   * than the cap must still be able to go out on its own.
   */
  #hasRoom(bodySize: number): boolean {
    const pending = this.#socket.writableLength + this.#batchBytes;
    return pending === 0 || pending + frameWireSize(bodySize) <= this.#config.maxWriteBuffer;
  }

  /**
   * Seal one body and write it at once if it is the writer's first of this tick and nothing
   * waits in the socket's buffer; else into this tick's batch, whose first frame schedules its
   * write. A batch that reaches BATCH_BYTES goes out at once, so a sender that queues many
   * frames in one tick keeps the remote busy instead of handing it everything at the end.
   */
  #put(body: Uint8Array, waiter: Settle | undefined): void {
    const frame = asBuffer(this.#sealer.seal(body));
    const batch = (this.#batch = owned(this.#batch));
    batch.push(frame);
    // Before a write the frame may trigger: the waiter belongs to the batch that carries it.
    if (waiter) (this.#batchWritten = owned(this.#batchWritten)).push(waiter);
    if (batch.length === 1) {
      if (this.#wroteAtOnce !== tick && this.#socket.writableLength === 0) {
        this.#wroteAtOnce = tick;
        if (!tickEnding) {
          tickEnding = true;
          process.nextTick(endTick);
        }
        this.#writeBatch();
        return;
      }
      process.nextTick(writeBatch, this);
    }
    this.#batchBytes += frame.length;
    if (this.#batchBytes >= BATCH_BYTES) this.#writeBatch();
  }

  /**
   * Hand the batch to the socket: one write, or for several frames one writev (cork, write
   * each, uncork), so no frame is copied again. On a socket already going away the batch is
   * dropped, as a destroyed socket drops what its own buffer holds.
   */
  #writeBatch(): void {
    const frames = this.#batch;
    if (frames.length === 0) return; // written early, on reaching BATCH_BYTES
    const written = this.#batchWritten;
    this.#batch = emptyList();
    this.#batchBytes = 0;
    this.#batchWritten = emptyList();
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) {
      if (written.length === 0) return;
      const err = this.#shut ? this.#closedError() : new ClosedError('connection is closed');
      for (const w of written) w.reject(err);
      return;
    }
    const done = (err?: Error | null): void => {
      if (err) {
        const failure = new NetworkError(`write failed: ${err.message}`, { cause: err });
        for (const w of written) w.reject(failure);
        return;
      }
      for (const w of written) w.resolve();
      // A cap below the socket's own high-water mark gets no 'drain': look again here.
      if (this.#waiting.length > 0) this.#flush();
    };
    const last = frames.length - 1;
    if (last > 0) socket.cork();
    for (let i = 0; i < last; i++) socket.write(frames[i]!);
    socket.write(frames[last]!, done);
    if (last > 0) socket.uncork();
    if (socket.writableNeedDrain) this.#armStall();
  }

  static {
    writeBatch = (w) => w.#writeBatch();
  }

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    if (waiters.length === 0) return;
    this.#roomWaiters = emptyList();
    for (const w of waiters) w();
  }

  #armStall(): void {
    const ms = this.#config.writeTimeout;
    if (this.#stallTimer || ms === 0) return;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      this.#onStall(new TimeoutError(`writes stalled for ${ms} ms`, { reason: DisconnectReason.NetworkError, deadline: 'write' }), this.#owner);
    }, ms);
    this.#stallTimer.unref();
  }

  #disarmStall(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }
}
