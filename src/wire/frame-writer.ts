/**
 * The write path of a connection: seal frame bodies and hand them to the socket in order,
 * with a cap on what may wait in the socket's buffer and a deadline for it to drain
 * (geth: 20 s per write).
 *
 * A send over the cap waits (as geth's WriteMsg blocks) instead of failing: its body is
 * queued unsealed, because sealing advances the egress keystream and MAC, so a frame must be
 * sealed only when it is certain to be written, and in the order it was sent.
 */
import type { Socket } from 'node:net';
import { ClosedError, NetworkError, TimeoutError, type RlpxError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { asBuffer } from '../crypto/bytes.js';
import { frameWireSize, MAX_FRAME_SIZE, type FrameSealer } from './frame.js';

export interface WriterConfig {
  readonly maxWriteBuffer: number;
  readonly writeTimeout: number;
}

interface Waiting {
  body: Uint8Array;
  resolve(): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class FrameWriter {
  readonly #socket: Socket;
  readonly #sealer: FrameSealer;
  readonly #config: WriterConfig;
  readonly #onStall: (err: TimeoutError) => void;
  // Both allocated on first use: most connections never wait (10,000 idle peers, two arrays each).
  #waiting: Waiting[] | undefined;
  #roomWaiters: Array<() => void> | undefined;
  #stallTimer: NodeJS.Timeout | undefined;
  #closed: RlpxError | undefined;

  constructor(socket: Socket, sealer: FrameSealer, config: WriterConfig, onStall: (err: TimeoutError) => void) {
    this.#socket = socket;
    this.#sealer = sealer;
    this.#config = config;
    this.#onStall = onStall;
  }

  /** Sends waiting for room in the socket's buffer. */
  get queued(): number {
    return this.#waiting?.length ?? 0;
  }

  /**
   * Seal and write one frame body, in order with every other; resolves once it is handed to
   * the kernel. Waits while the buffer is over its cap; rejects on close, abort, or the write
   * deadline (which fails the whole connection).
   */
  write(body: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (body.length > MAX_FRAME_SIZE) {
      return Promise.reject(new RangeError(`message of ${body.length} bytes (encoded) exceeds the ${MAX_FRAME_SIZE}-byte frame limit`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.#waiting?.length && this.#hasRoom(body.length)) return this.#put(body);
    return new Promise<void>((resolve, reject) => {
      const entry: Waiting = { body, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        entry.onAbort = () => {
          const i = this.#waiting?.indexOf(entry) ?? -1;
          if (i >= 0) this.#waiting!.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      (this.#waiting ??= []).push(entry);
      this.#armStall();
    });
  }

  /** Resolves when a send would be written at once (nothing queued, the buffer under its cap). */
  writable(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (!this.#waiting?.length && !this.#socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => (this.#roomWaiters ??= []).push(resolve));
  }

  /** The socket's buffer drained: write what waits, while there is room. */
  drained(): void {
    this.#disarmStall();
    this.#flush();
  }

  #flush(): void {
    if (this.#closed) return;
    const waiting = this.#waiting;
    while (waiting?.length && this.#hasRoom(waiting[0]!.body.length)) {
      const entry = waiting.shift()!;
      if (entry.onAbort) entry.signal!.removeEventListener('abort', entry.onAbort);
      this.#put(entry.body).then(entry.resolve, entry.reject);
    }
    if (waiting?.length) return this.#armStall();
    this.#waiting = undefined;
    if (!this.#socket.writableNeedDrain) this.#wakeRoomWaiters();
  }

  /**
   * Reject every send still waiting with `err`; later writes are still taken (a failed session
   * may still say Disconnect).
   */
  abandon(err: RlpxError): void {
    this.#disarmStall();
    const waiting = this.#waiting ?? [];
    this.#waiting = undefined;
    for (const entry of waiting) {
      if (entry.onAbort) entry.signal!.removeEventListener('abort', entry.onAbort);
      entry.reject(err);
    }
    this.#wakeRoomWaiters();
  }

  /** No more writes: everything waiting is rejected. */
  close(): void {
    this.#closed ??= new ClosedError('connection is closed');
    this.abandon(this.#closed);
  }

  /**
   * A frame fits when the buffer has room for it, or when the buffer is empty: a frame larger
   * than the cap must still be able to go out on its own.
   */
  #hasRoom(bodySize: number): boolean {
    const pending = this.#socket.writableLength;
    return pending === 0 || pending + frameWireSize(bodySize) <= this.#config.maxWriteBuffer;
  }

  #put(body: Uint8Array): Promise<void> {
    const frame = this.#sealer.seal(body);
    return new Promise((resolve, reject) => {
      this.#socket.write(asBuffer(frame), (err) => {
        if (err) return reject(new NetworkError(`write failed: ${err.message}`, { cause: err }));
        resolve();
        // A cap below the socket's own high-water mark gets no 'drain': look again here.
        if (this.#waiting?.length) this.#flush();
      });
      if (this.#socket.writableNeedDrain) this.#armStall();
    });
  }

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    if (!waiters) return;
    this.#roomWaiters = undefined;
    for (const w of waiters) w();
  }

  #armStall(): void {
    const ms = this.#config.writeTimeout;
    if (this.#stallTimer || ms === 0) return;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      this.#onStall(new TimeoutError(`writes stalled for ${ms} ms`, { reason: DisconnectReason.NetworkError, deadline: 'write' }));
    }, ms);
    this.#stallTimer.unref();
  }

  #disarmStall(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }
}
