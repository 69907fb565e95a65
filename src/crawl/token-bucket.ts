/**
 * A token bucket for the crawl's global dial rate: `rate` tokens per second, up to `burst`
 * saved. The scheduler is its only consumer, so it needs no queue of waiters.
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  #tokens: number;
  #last: number;

  /** rate <= 0 or Infinity: no limit. `now` is the clock's start (ms, performance.now() by default). */
  constructor(rate: number, burst = Math.max(1, Math.ceil(rate / 10)), now = performance.now()) {
    if (Number.isNaN(rate)) throw new RangeError('rate must be a number');
    if (!(burst >= 1)) throw new RangeError(`burst must be >= 1, got ${burst}`);
    this.rate = rate > 0 ? rate : Infinity;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  /** Take a token now and return 0, or return how many ms until one is there (taking none). */
  take(now = performance.now()): number {
    if (this.rate === Infinity) return 0;
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.rate));
  }
}
