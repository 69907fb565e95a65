/**
 * Subprotocol channels: a running protocol on one peer, with codes relative to its offset.
 */
import { EventEmitter } from 'node:events';
import type { MatchedProtocol, ProtocolSpec } from './capabilities.js';
import type { Peer } from './peer.js';

/** A subprotocol to run: its capability, its code range and what to do when it starts. */
export interface Protocol extends ProtocolSpec {
  /**
   * Called when the protocol starts on a peer, before any of its messages is delivered.
   * Throwing here (or rejecting, if async), or in a 'message' listener, closes the peer with 0x10.
   */
  run?(channel: ProtocolChannel): unknown;
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
  readonly peer: Peer;

  constructor(peer: Peer, m: MatchedProtocol) {
    // Rejections of async 'message' listeners come back to us instead of going unhandled.
    super({ captureRejections: true });
    this.peer = peer;
    this.name = m.name;
    this.version = m.version;
    this.offset = m.offset;
    this.length = m.length;
  }

  override [EventEmitter.captureRejectionSymbol]<K>(error: Error, event: 'message' | K, ..._args: K extends 'message' ? ChannelEvents[K] : never): void {
    this.peer._listenerFailed(error, `${this.name} '${String(event)}' listener`);
  }

  send(code: number, payload: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!Number.isInteger(code) || code < 0 || code >= this.length) {
      return Promise.reject(new RangeError(`${this.name}: code ${code} outside [0, ${this.length})`));
    }
    return this.peer._send(this.offset + code, payload, options.signal);
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
    const queue: Array<{ code: number; payload: Uint8Array }> = [];
    const conn = this.peer.connection;
    let holding = false;
    let ended = this.peer.isClosing;
    let wake: (() => void) | undefined;
    const onMessage = (code: number, payload: Uint8Array): void => {
      queue.push({ code, payload });
      if (!holding && queue.length >= hwm) {
        holding = true;
        conn.pauseReading();
      }
      wake?.();
    };
    const onEnd = (): void => {
      ended = true;
      wake?.();
    };
    this.on('message', onMessage);
    this.peer.once('close', onEnd);
    signal?.addEventListener('abort', onEnd, { once: true });
    try {
      for (;;) {
        signal?.throwIfAborted();
        const next = queue.shift();
        if (next) {
          if (holding && queue.length <= hwm >> 1) {
            holding = false;
            conn.resumeReading();
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
      this.peer.off('close', onEnd);
      signal?.removeEventListener('abort', onEnd);
      if (holding) conn.resumeReading();
    }
  }
}
