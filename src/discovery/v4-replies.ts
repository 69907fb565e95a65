/**
 * The discv4 requests of ours awaiting replies: each waits for packets of one kind from one
 * node id and IP, until its matcher says done or the reply timeout passes. Bounded: past
 * `maxPending` a new request is refused rather than queued.
 */
import { bytesToHex } from '../crypto/bytes.js';
import { abortable } from '../abort.js';
import { DiscoveryError } from './errors.js';
import type { DiscoveryNode } from './node.js';
import type { V4Packet } from './v4-packet.js';

/** Reply timeout (geth respTimeout). */
export const RESPONSE_TIMEOUT_MS = 500;

/** The packet kinds that answer a request of ours. */
export type ReplyKind = 'pong' | 'neighbors' | 'enrResponse';

/** Says whether a reply matches (undefined: not this request's, a wrong token), else whether it completes. */
export type ReplyMatcher = (p: V4Packet, hash: Uint8Array) => boolean | undefined;

interface Pending {
  id: string;
  ip: string;
  kind: ReplyKind;
  onReply: (p: V4Packet) => boolean | undefined;
  finish: (err?: Error) => void;
}

export class V4Replies {
  readonly #pending = new Set<Pending>();
  readonly #maxPending: number;
  #closed = false;

  constructor(maxPending: number) {
    this.#maxPending = maxPending;
  }

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Register a request to `node`, then `send` it (which returns the packet's hash, the token
   * replies quote), and wait for replies of `kind` until `onReply` says done, or the timeout.
   * A timeout is an error only when `onReply` never matched.
   */
  request(node: Pick<DiscoveryNode, 'id' | 'ip' | 'udp'>, kind: ReplyKind, send: () => Uint8Array, onReply: ReplyMatcher, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new DiscoveryError('closed', 'discv4: closed'));
    if (this.#pending.size >= this.#maxPending) return Promise.reject(new DiscoveryError('overloaded', `discv4: ${this.#maxPending} requests pending already`));
    let pending!: Pending;
    const done = new Promise<void>((resolve, reject) => {
      let matchedOnce = false;
      const timer = setTimeout(() => pending.finish(matchedOnce ? undefined : new DiscoveryError('timeout', `discv4: no ${kind} from ${node.ip}:${node.udp}`)), RESPONSE_TIMEOUT_MS);
      pending = {
        id: bytesToHex(node.id),
        ip: node.ip,
        kind,
        onReply: (p) => {
          const r = onReply(p, hash);
          if (r !== undefined) matchedOnce = true;
          return r;
        },
        finish: (err) => {
          if (!this.#pending.delete(pending)) return;
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        },
      };
    });
    this.#pending.add(pending);
    const hash = send();
    return abortable(done, signal, () => pending.finish(new DiscoveryError('closed', 'discv4: aborted')));
  }

  /** Hand a reply from node `id` (hex) at `ip` to the requests waiting for it; false when none was. */
  dispatch(packet: V4Packet, id: string, ip: string): boolean {
    let matched = false;
    for (const p of [...this.#pending]) {
      if (p.id !== id || p.ip !== ip || p.kind !== packet.kind) continue;
      const done = p.onReply(packet);
      if (done === undefined) continue;
      matched = true;
      if (done) p.finish();
    }
    return matched;
  }

  /** Fail every request in progress, and every later one. */
  close(): void {
    this.#closed = true;
    for (const p of [...this.#pending]) p.finish(new DiscoveryError('closed', 'discv4: closed'));
  }
}
