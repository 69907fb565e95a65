/**
 * Per-source token buckets: `rate` per second with bursts of `burst`, for at most `maxSources`
 * addresses (the oldest are forgotten first, an eighth at a time, so a spray of spoofed sources
 * costs bounded memory).
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
      if (this.#buckets.size >= this.#maxSources) this.#forgetOldest();
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(source, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Forget the oldest eighth of the sources at once. One at a time, each new source would pay
   * for a walk past every entry deleted before (a Map's iteration steps over its deleted slots
   * until it is rehashed): thousands of steps per source once a spread of sources fills it.
   */
  #forgetOldest(): void {
    let n = Math.max(1, this.#maxSources >> 3);
    for (const k of this.#buckets.keys()) {
      this.#buckets.delete(k);
      if (--n === 0) break;
    }
  }
}
