/**
 * The requests we have in flight with one peer, matched to their responses by request id, as
 * geth's p2p/tracker does on its side.
 *
 * Ids are random 64-bit values. Each pending request records the response it expects and the
 * most items it may hold. A response with an unknown id, another code, or more items is a
 * ResponseError, which closes the peer with 0x10 (geth drops us for the same three). A
 * request that times out or is aborted leaves a tombstone for TOMBSTONE_MS, so that its late
 * answer is dropped quietly instead of being taken for an unsolicited one.
 */
import { TimeoutError } from '../errors.js';
import { randomBytes } from '../crypto/random.js';
import { ResponseError } from './errors.js';
import { countItems, decodeResponseEnvelope, encodeMessage, RESPONSE_OF, responseFrom, type EthMessageMap, type RequestName, type ResponseName } from './messages.js';

/**
 * Default time a request waits for its response: 10 s. geth's own requests wait 3x its RTT
 * estimate, between 6 s and 60 s; a node that answers from memory does so in milliseconds.
 */
export const DEFAULT_REQUEST_TIMEOUT = 10_000;
/** How long the id of a timed-out or aborted request is remembered (geth keeps its own 5 min). */
export const TOMBSTONE_MS = 5 * 60_000;
/** Most requests in flight with one peer (geth tracks at most 10,000). */
export const MAX_PENDING = 10_000;
const MAX_TOMBSTONES = 10_000;

export interface RequestOptions {
  signal?: AbortSignal;
  /** ms; default DEFAULT_REQUEST_TIMEOUT. */
  timeout?: number;
}

export type ResponseOf<K extends RequestName> = EthMessageMap[(typeof RESPONSE_OF)[K]];
type WithoutId<T> = T extends unknown ? Omit<T, 'requestId'> : never;
export type RequestBody<K extends RequestName> = WithoutId<EthMessageMap[K]>;

interface Pending {
  response: ResponseName;
  maxItems: number;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export class RequestTracker {
  readonly version: number;
  readonly #send: (code: number, payload: Uint8Array) => Promise<void>;
  readonly #pending = new Map<bigint, Pending>();
  /** id -> when it may be forgotten (insertion order = age). */
  readonly #tombstones = new Map<bigint, number>();
  #closed: Error | undefined;
  /** Late answers dropped quietly. */
  lateResponses = 0;

  constructor(version: number, send: (code: number, payload: Uint8Array) => Promise<void>) {
    this.version = version;
    this.#send = send;
  }

  get pending(): number {
    return this.#pending.size;
  }

  #newId(): bigint {
    for (;;) {
      const b = randomBytes(8);
      let id = 0n;
      for (const x of b) id = (id << 8n) | BigInt(x);
      if (!this.#pending.has(id) && !this.#tombstones.has(id)) return id;
    }
  }

  #bury(id: bigint, now = Date.now()): void {
    this.#tombstones.set(id, now + TOMBSTONE_MS);
    for (const [old, until] of this.#tombstones) {
      if (until > now && this.#tombstones.size <= MAX_TOMBSTONES) break;
      this.#tombstones.delete(old);
    }
  }

  /** Send a request; resolves with its decoded response. `maxItems` bounds the reply's list. */
  request<K extends RequestName>(name: K, body: RequestBody<K>, maxItems: number, options: RequestOptions = {}): Promise<ResponseOf<K>> {
    if (this.#closed) return Promise.reject(this.#closed);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#pending.size >= MAX_PENDING) return Promise.reject(new RangeError(`more than ${MAX_PENDING} requests in flight`));
    const timeout = options.timeout ?? DEFAULT_REQUEST_TIMEOUT;
    if (!(timeout > 0) || !Number.isFinite(timeout)) return Promise.reject(new RangeError(`timeout must be a positive number of ms, got ${timeout}`));
    const id = this.#newId();
    const { code, payload } = encodeMessage(this.version, name, { ...body, requestId: id } as never);
    return new Promise<ResponseOf<K>>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      };
      const giveUp = (err: unknown): void => {
        done();
        this.#bury(id);
        reject(err);
      };
      const onAbort = (): void => giveUp(signal!.reason);
      const timer = setTimeout(() => giveUp(new TimeoutError(`no ${RESPONSE_OF[name]} within ${timeout} ms`, { deadline: 'request' })), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        response: RESPONSE_OF[name],
        maxItems,
        resolve: (v) => (done(), resolve(v as ResponseOf<K>)),
        reject: (e) => (done(), reject(e)),
      });
      this.#send(code, payload).catch((err: unknown) => this.#pending.get(id)?.reject(err));
    });
  }

  /**
   * A response came: match it and settle its request. Throws (MessageError, ResponseError)
   * when the peer must be closed; a late answer to a forgotten request returns quietly.
   */
  deliver(name: ResponseName, payload: Uint8Array): void {
    const env = decodeResponseEnvelope(this.version, name, payload);
    const id = env.requestId;
    const p = this.#pending.get(id);
    if (!p) {
      const until = this.#tombstones.get(id);
      if (until !== undefined && until > Date.now()) {
        this.#tombstones.delete(id);
        this.lateResponses++;
        return;
      }
      throw new ResponseError('unsolicited', `${name} with request id ${id} that we did not send`);
    }
    if (p.response !== name) {
      const err = new ResponseError('code', `${name} for request ${id}, which expects ${p.response}`);
      p.reject(err);
      throw err;
    }
    if (countItems(env.items, p.maxItems) > p.maxItems) {
      const err = new ResponseError('too-many', `${name} for request ${id} has more than the ${p.maxItems} items asked`);
      p.reject(err);
      throw err;
    }
    let value: unknown;
    try {
      value = responseFrom(name, env);
    } catch (err) {
      p.reject(err);
      throw err;
    }
    p.resolve(value);
  }

  /** The peer is gone: every pending request fails with `err`; new ones too. */
  close(err: Error): void {
    this.#closed = err;
    for (const p of [...this.#pending.values()]) p.reject(err);
  }
}
