/**
 * The write path of a connection: seal a frame body and hand it to the socket, with a cap
 * on what may wait in the socket's buffer and a deadline for it to drain (geth: 20 s).
 */
import type { Socket } from 'node:net';
import { NetworkError, TimeoutError } from '../errors.js';
import { DisconnectReason } from '../reasons.js';
import { asBuffer } from '../crypto/bytes.js';
import { frameWireSize, MAX_FRAME_SIZE, type FrameSealer } from './frame.js';

export interface WriterConfig {
  readonly maxWriteBuffer: number;
  readonly writeTimeout: number;
}

export class FrameWriter {
  readonly #socket: Socket;
  readonly #sealer: FrameSealer;
  readonly #config: WriterConfig;
  readonly #onStall: (err: TimeoutError) => void;
  #stallTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, sealer: FrameSealer, config: WriterConfig, onStall: (err: TimeoutError) => void) {
    this.#socket = socket;
    this.#sealer = sealer;
    this.#config = config;
    this.#onStall = onStall;
  }

  /** Seal and write one frame body; resolves once it is handed to the kernel. */
  write(body: Uint8Array): Promise<void> {
    if (body.length > MAX_FRAME_SIZE) {
      return Promise.reject(new RangeError(`message of ${body.length} bytes (encoded) exceeds the ${MAX_FRAME_SIZE}-byte frame limit`));
    }
    const socket = this.#socket;
    // Checked before sealing: sealing advances the egress keystream and MAC, so a frame that
    // is sealed and then not written would corrupt every frame after it.
    if (socket.writableLength + frameWireSize(body.length) > this.#config.maxWriteBuffer) {
      return Promise.reject(new NetworkError(`write buffer full (${socket.writableLength} bytes pending)`));
    }
    const frame = this.#sealer.seal(body);
    return new Promise((resolve, reject) => {
      socket.write(asBuffer(frame), (err) => (err ? reject(new NetworkError(`write failed: ${err.message}`, { cause: err })) : resolve()));
      if (socket.writableNeedDrain && !this.#stallTimer && this.#config.writeTimeout > 0) this.#armStall();
    });
  }

  /** The socket's buffer drained: writes are moving again. */
  drained(): void {
    this.stop();
  }

  stop(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  #armStall(): void {
    const ms = this.#config.writeTimeout;
    this.#stallTimer = setTimeout(
      () => this.#onStall(new TimeoutError(`writes stalled for ${ms} ms`, { reason: DisconnectReason.NetworkError })),
      ms,
    );
    this.#stallTimer.unref();
  }
}
