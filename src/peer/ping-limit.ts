/**
 * The inbound Ping rate limit: a token bucket. Every Ping must be answered (the remote pairs
 * Pongs with Pings), so a flood would make us write without bound; past a sustained rate and
 * a burst the peer is closed as a breach of protocol instead.
 */
import { ProtocolError } from '../errors.js';

export class PingLimit {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at = performance.now();

  constructor(ratePerSecond: number, burst: number) {
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
  }

  /** Take one token for an inbound Ping; throws once the remote exceeds the limit. */
  take(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
    if (this.#tokens < 1) throw new ProtocolError(`Ping flood: more than ${this.#rate}/s sustained`);
    this.#tokens -= 1;
  }
}
