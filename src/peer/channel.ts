/**
 * Subprotocol channels: a running protocol on one peer, with codes relative to its offset.
 * A channel gets what it needs from its peer as a small host interface (as js-libp2p-yamux
 * streams get `sendFrame`), and never imports the Peer.
 */
import { EventEmitter } from 'node:events';
import { compactListenerTable } from './listener-table.js';
import { checkSignal } from '../abort.js';
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
  /** Resolves when a send would be written at once. */
  writable(): Promise<void>;
  /** Whether someone listens to all messages on the peer: that consumes them too. */
  observed(): boolean;
  /** A message was delivered to the channel's consumers (the peer emits its own 'message'). */
  delivered(protocol: string, code: number, payload: Uint8Array): void;
}

export interface ChannelEvents {
  message: [code: number, payload: Uint8Array];
}

const DEFAULT_HIGH_WATER_MARK = 64;

type Item = { code: number; payload: Uint8Array };

/** Where the Peer hands a channel its messages; not part of the channel's public surface. */
let receive: (channel: ProtocolChannel, code: number, payload: Uint8Array) => void;

let flush: (channel: ProtocolChannel) => void;

/** Deliver one inbound message (code relative to the protocol) to `channel`. */
export function deliverTo(channel: ProtocolChannel, code: number, payload: Uint8Array): void {
  receive(channel, code, payload);
}

/** A consumer may have attached elsewhere (on the peer): hand over what waits. */
export function flushChannel(channel: ProtocolChannel): void {
  flush(channel);
}

/** One shared function rather than a closure per channel: a listener attached may be a consumer. */
function flushOnMessageListener(this: ProtocolChannel, event: string | symbol): void {
  if (event === 'message') queueMicrotask(() => flush(this));
}

/**
 * One running subprotocol on one peer; codes are relative to the protocol (0-based).
 *
 * Messages are kept from the moment the channel starts until a consumer attaches (a
 * 'message' listener, a messages() iterator, or a 'message' listener on the peer), so a
 * greeting sent by the remote's run() is never lost to a consumer that awaited something
 * first. That buffer is bounded like an iterator's: at 64 messages the peer stops reading.
 */
export class ProtocolChannel extends EventEmitter<ChannelEvents> {
  readonly name: string;
  readonly version: number;
  readonly offset: number;
  readonly length: number;
  readonly #host: ChannelHost;
  /** Messages that came before any consumer. */
  // Allocated on first use: most channels of idle peers never need them.
  #early: Item[] | undefined;
  #earlyHeld = false;
  #iterators: Set<(item: Item) => void> | undefined;

  static {
    receive = (channel, code, payload) => channel.#receive({ code, payload });
    flush = (channel) => channel.#flushEarly();
  }

  constructor(host: ChannelHost, m: MatchedProtocol) {
    // Rejections of async 'message' listeners come back to us instead of going unhandled.
    super({ captureRejections: true });
    compactListenerTable(this);
    this.#host = host;
    this.name = m.name;
    this.version = m.version;
    this.offset = m.offset;
    this.length = m.length;
    (this as EventEmitter).on('newListener', flushOnMessageListener);
  }

  override [EventEmitter.captureRejectionSymbol]<K>(error: Error, event: 'message' | K, ..._args: K extends 'message' ? ChannelEvents[K] : never): void {
    this.#host.listenerFailed(error, `${this.name} '${String(event)}' listener`);
  }

  /** Whether the peer is closing: sends will be refused, and no message will come. */
  get closing(): boolean {
    return this.#host.closing;
  }

  /**
   * Send one message. Resolves once it is queued for the socket (frames of one tick share a
   * write; a failed write fails the peer); waits while the peer's write
   * buffer is full; rejects on close, on abort, or when writes stall past the write deadline.
   */
  send(code: number, payload: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!Number.isInteger(code) || code < 0 || code >= this.length) {
      return Promise.reject(new RangeError(`${this.name}: code ${code} outside [0, ${this.length})`));
    }
    try {
      checkSignal(options.signal);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#host.send(this.offset + code, payload, options.signal);
  }

  /** Resolves when a send would be written at once (the peer's write buffer has room). */
  writable(): Promise<void> {
    return this.#host.writable();
  }

  #consumed(): boolean {
    return (this.#iterators?.size ?? 0) > 0 || this.listenerCount('message') > 0 || this.#host.observed();
  }

  #receive(item: Item): void {
    if (this.#early && this.#consumed()) this.#flushEarly();
    if (this.#early || !this.#consumed()) {
      const early = (this.#early ??= []);
      early.push(item);
      if (!this.#earlyHeld && early.length >= DEFAULT_HIGH_WATER_MARK) {
        this.#earlyHeld = true;
        this.#host.pauseReading();
      }
      return;
    }
    this.#dispatch(item);
  }

  #dispatch(item: Item): void {
    if (this.#iterators) for (const push of this.#iterators) push(item);
    try {
      this.emit('message', item.code, item.payload);
    } catch (err) {
      return this.#host.listenerFailed(err, `${this.name} 'message' listener`);
    }
    this.#host.delivered(this.name, item.code, item.payload);
  }

  /** A consumer attached: hand it what came before, in order. */
  #flushEarly(): void {
    const early = this.#early;
    if (!early) return;
    while (early.length > 0 && this.#consumed() && !this.#host.closing) this.#dispatch(early.shift()!);
    if (early.length === 0) this.#early = undefined;
    if (this.#earlyHeld && early.length <= DEFAULT_HIGH_WATER_MARK >> 1) {
      this.#earlyHeld = false;
      this.#host.resumeReading();
    }
  }

  /**
   * Messages as an async iterator; ends when the peer closes (after everything that arrived
   * before), throws the signal's reason when aborted. Backpressure: with `highWaterMark`
   * messages waiting, the peer stops reading its socket until the consumer has caught up to
   * half of that, so a slow consumer cannot make us buffer without bound.
   */
  messages(options: { signal?: AbortSignal; highWaterMark?: number } = {}): AsyncGenerator<Item> {
    checkSignal(options.signal);
    const hwm = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    if (!Number.isInteger(hwm) || hwm < 1) throw new RangeError(`highWaterMark must be a positive integer, got ${hwm}`);
    // Subscribed now, not at the first next(): nothing arriving in between is missed.
    const host = this.#host;
    const queue: Item[] = [];
    let holding = false;
    let ended = host.closing;
    let wake: (() => void) | undefined;
    const push = (item: Item): void => {
      queue.push(item);
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
    (this.#iterators ??= new Set()).add(push);
    const unsubscribe = host.onClose(onEnd);
    const { signal } = options;
    signal?.addEventListener('abort', onEnd, { once: true });
    queueMicrotask(() => this.#flushEarly());
    const detach = (): void => {
      this.#iterators?.delete(push);
      unsubscribe();
      signal?.removeEventListener('abort', onEnd);
      if (holding) host.resumeReading();
      holding = false;
    };
    return (async function* iterate(): AsyncGenerator<Item> {
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
        detach();
      }
    })();
  }
}
