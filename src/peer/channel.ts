/**
 * Subprotocol channels: a running protocol on one peer, with codes relative to its offset.
 */
import { EventEmitter, on } from 'node:events';
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
   * Messages as an async iterator; ends when the peer closes. Messages are buffered while the
   * consumer is busy: a consumer slower than its peer should apply its own limits.
   */
  async *messages(options: { signal?: AbortSignal } = {}): AsyncGenerator<{ code: number; payload: Uint8Array }> {
    const stop = new AbortController();
    const onClose = (): void => stop.abort();
    const onAbort = (): void => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.peer.once('close', onClose);
    if (this.peer.isClosing || options.signal?.aborted) stop.abort();
    try {
      for await (const [code, payload] of on(this, 'message', { signal: stop.signal })) {
        yield { code: code as number, payload: payload as Uint8Array };
      }
    } catch (err) {
      if (!stop.signal.aborted) throw err;
      if (options.signal?.aborted && !this.peer.isClosing) throw options.signal.reason;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.peer.off('close', onClose);
    }
  }
}
