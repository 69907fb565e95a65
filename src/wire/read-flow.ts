/**
 * Flow control of a connection's reads: pauses requested by consumers (counted, so several
 * can hold the socket at once) and the read deadline (geth: 30 s without a frame closes).
 *
 * While any pause is held the deadline is suspended: the wait is ours, not the remote's
 * (geth's read loop likewise blocks without a deadline).
 */
import type { Socket } from 'node:net';
import { TimeoutError } from '../errors.js';

export class ReadFlow {
  readonly #socket: Socket;
  readonly #timeout: number;
  readonly #onTimeout: (err: TimeoutError, owner: unknown) => void;
  readonly #owner: unknown;
  #holds = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `onTimeout` is called with `owner`: a shared function and its owner cost no closure per connection. */
  constructor(socket: Socket, timeout: number, onTimeout: (err: TimeoutError, owner: unknown) => void, owner?: unknown) {
    this.#socket = socket;
    this.#timeout = timeout;
    this.#onTimeout = onTimeout;
    this.#owner = owner;
  }

  get held(): boolean {
    return this.#holds > 0;
  }

  /** Take a hold: the first one stops the socket and the deadline. */
  hold(): void {
    if (this.#holds++ > 0) return;
    this.#socket.pause();
    this.disarm();
  }

  /** Give a hold back; true when none is left, so reading may go on. */
  release(): boolean {
    if (this.#holds === 0) return false;
    return --this.#holds === 0;
  }

  /** Start the deadline (a no-op while held or disabled). */
  arm(): void {
    if (this.#timeout === 0 || this.#holds > 0 || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onTimeout(new TimeoutError(`no message for ${this.#timeout} ms`, { deadline: 'read' }), this.#owner);
    }, this.#timeout);
    this.#timer.unref();
  }

  /** A frame arrived: the deadline starts again. */
  refresh(): void {
    this.#timer?.refresh();
  }

  disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
