/**
 * Subprotocol channels: a running protocol on one peer, with codes relative to its offset.
 * A channel gets what it needs from its peer as a small host interface (as js-libp2p-yamux
 * streams get `sendFrame`), and never imports the Peer.
 */
import { EventEmitter } from 'node:events';
import type { MatchedProtocol } from './capabilities.js';

/** What a channel may ask of the peer that runs it. */
export interface ChannelHost {
  /** Send a message with an absolute (offset) code. */
  send(code: number, payload: Uint8Array, signal?: AbortSignal): Promise<void>;
  /** Backpressure: hold the peer's socket until as many resumeReading() calls. */
  pauseReading(): void;
  resumeReading(): void;
  /** The peer is closing or closed: no message will come any more. */
  readonly closing: boolean;
  /** Call `listener` once when the peer closes; returns the unsubscribe function. */
  onClose(listener: () => void): () => void;
  /** A listener of the channel threw or rejected: our side's bug, which closes the peer with 0x10. */
  listenerFailed(err: unknown, where: string): void;
}

export interface ChannelEvents {
  message: [code: number, payload: Uint8Array];
}

/** One running subprotocol on one peer; codes are relative to the protocol (0-based). */
export class ProtocolChannel extends EventEmitter<ChannelEvents> {
  readonly name: string;
  readonly version: number;
  readonly offset: number;
  readonly length: number;
  readonly #host: ChannelHost;

  constructor(host: ChannelHost, m: MatchedProtocol) {
    // Rejections of async 'message' listeners come back to us instead of going unhandled.
    super({ captureRejections: true });
    this.#host = host;
    this.name = m.name;
    this.version = m.version;
    this.offset = m.offset;
    this.length = m.length;
  }

  override [EventEmitter.captureRejectionSymbol]<K>(error: Error, event: 'message' | K, ..._args: K extends 'message' ? ChannelEvents[K] : never): void {
    this.#host.listenerFailed(error, `${this.name} '${String(event)}' listener`);
  }

  /** Whether the peer is closing: sends will be refused, and no message will come. */
  get closing(): boolean {
    return this.#host.closing;
  }

  send(code: number, payload: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!Number.isInteger(code) || code < 0 || code >= this.length) {
      return Promise.reject(new RangeError(`${this.name}: code ${code} outside [0, ${this.length})`));
    }
    return this.#host.send(this.offset + code, payload, options.signal);
  }

  /**
   * Messages as an async iterator; ends when the peer closes (after everything that arrived
   * before), throws the signal's reason when aborted. Backpressure: with `highWaterMark`
   * messages waiting, the peer stops reading its socket until the consumer has caught up to
   * half of that, so a slow consumer cannot make us buffer without bound.
   */
  async *messages(options: { signal?: AbortSignal; highWaterMark?: number } = {}): AsyncGenerator<{ code: number; payload: Uint8Array }> {
    const { signal } = options;
    const hwm = options.highWaterMark ?? 64;
    if (!Number.isInteger(hwm) || hwm < 1) throw new RangeError(`highWaterMark must be a positive integer, got ${hwm}`);
    const host = this.#host;
    const queue: Array<{ code: number; payload: Uint8Array }> = [];
    let holding = false;
    let ended = host.closing;
    let wake: (() => void) | undefined;
    const onMessage = (code: number, payload: Uint8Array): void => {
      queue.push({ code, payload });
      if (!holding && queue.length >= hwm) {
        holding = true;
        host.pauseReading();
      }
      wake?.();
    };
    const onEnd = (): void => {
      ended = true;
      wake?.();
    };
    this.on('message', onMessage);
    const unsubscribe = host.onClose(onEnd);
    signal?.addEventListener('abort', onEnd, { once: true });
    try {
      for (;;) {
        signal?.throwIfAborted();
        const next = queue.shift();
        if (next) {
          if (holding && queue.length <= hwm >> 1) {
            holding = false;
            host.resumeReading();
          }
          yield next;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.off('message', onMessage);
      unsubscribe();
      signal?.removeEventListener('abort', onEnd);
      if (holding) host.resumeReading();
    }
  }
}
