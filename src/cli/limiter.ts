/**
 * At most `max` holders at once; up to `maxWaiting` more wait in arrival order. A caller whose
 * signal aborts while waiting leaves the queue. release() hands the slot to the next waiter.
 */
export class Limiter {
  readonly #max: number;
  readonly #maxWaiting: number;
  #held = 0;
  readonly #queue: Array<() => void> = [];

  constructor(max: number, maxWaiting: number) {
    this.#max = max;
    this.#maxWaiting = maxWaiting;
  }

  get held(): number {
    return this.#held;
  }

  /** 'ok' with a slot held (call release()), 'full' when the queue is full, 'timeout' when `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<'ok' | 'full' | 'timeout'> {
    if (this.#held < this.#max) {
      this.#held++;
      return Promise.resolve('ok');
    }
    if (this.#queue.length >= this.#maxWaiting) return Promise.resolve('full');
    return new Promise((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve('ok');
      };
      const onAbort = (): void => {
        const i = this.#queue.indexOf(grant);
        if (i >= 0) this.#queue.splice(i, 1);
        resolve('timeout');
      };
      this.#queue.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.#queue.shift();
    if (next) next(); // the slot passes on: #held is unchanged
    else this.#held--;
  }
}
