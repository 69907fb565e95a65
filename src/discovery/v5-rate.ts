/**
 * Per-source token buckets: `rate` per second with bursts of `burst`, for at most `maxSources`
 * addresses (the oldest is forgotten first, so a spray of spoofed sources costs bounded memory).
 */
export class SourceRateLimit {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxSources: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: { rate: number; burst: number; maxSources?: number; now?: () => number }) {
    if (!(opts.rate > 0) || !(opts.burst >= 1)) throw new RangeError('rate limit: rate must be > 0 and burst >= 1');
    this.#rate = opts.rate;
    this.#burst = opts.burst;
    this.#maxSources = opts.maxSources ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Take one token for `source`; false when its bucket is empty. */
  take(source: string): boolean {
    const now = this.#now();
    let b = this.#buckets.get(source);
    if (b) {
      b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate);
      b.at = now;
    } else {
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(source, b);
      if (this.#buckets.size > this.#maxSources) this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
