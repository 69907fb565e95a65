/**
 * Flow control of a connection's reads: pauses requested by consumers (counted, so several
 * can hold the socket at once) and the read deadline (geth: 30 s without a frame closes).
 *
 * While any pause is held the deadline is suspended: the wait is ours, not the remote's
 * (geth's read loop likewise blocks without a deadline).
 */
import type { Socket } from 'node:net';
import { TimeoutError } from '../errors.js';
import { wheelFor, type WheelEntry } from './timer-wheel.js';

/** The deadline runs on the shared wheel of its length (timer-wheel.ts): no Timeout per connection. */
export class ReadFlow implements WheelEntry {
  readonly #socket: Socket;
  readonly #timeout: number;
  readonly #onTimeout: (err: TimeoutError, owner: unknown) => void;
  readonly #owner: unknown;
  #holds = 0;
  /** When the last frame came (or the deadline started), performance.now() time. */
  #since = 0;
  wheelSlot = -1;

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
    if (this.#timeout === 0 || this.#holds > 0 || this.wheelSlot >= 0) return;
    this.#since = performance.now();
    wheelFor(this.#timeout).add(this, this.#since + this.#timeout);
  }

  /** A frame arrived: the deadline starts again. */
  refresh(): void {
    if (this.wheelSlot >= 0) this.#since = performance.now();
  }

  disarm(): void {
    if (this.wheelSlot >= 0) wheelFor(this.#timeout).remove(this);
  }

  /** The wheel's call: past the deadline fails the connection, else look again when it would be. */
  wheelTick(now: number): number {
    const at = this.#since + this.#timeout;
    if (now < at) return at;
    this.#onTimeout(new TimeoutError(`no message for ${this.#timeout} ms`, { deadline: 'read' }), this.#owner);
    return -1;
  }
}
