/**
 * L7 health: round-trip times of Ping/Pong and what they say about a peer.
 * geth only notices whether a Ping could be written; we measure whether it was answered.
 */

export type HealthState = 'healthy' | 'late' | 'unresponsive';

export interface RttSnapshot {
  sent: number;
  received: number;
  /** Pings that got no Pong: timed out, or dropped from a full queue. */
  missed: number;
  /** All in milliseconds; undefined until the first Pong. */
  last?: number;
  min?: number;
  max?: number;
  mean?: number;
  /** Exponentially weighted mean, alpha 1/8 as TCP's SRTT. */
  ewma?: number;
  /** Smoothed mean deviation between consecutive samples (RFC 3550 style). */
  jitter?: number;
  /** Median of the most recent samples. */
  median?: number;
}

const WINDOW = 32;

export class RttStats {
  sent = 0;
  received = 0;
  missed = 0;
  #last = NaN;
  #min = Infinity;
  #max = -Infinity;
  #sum = 0;
  #ewma = NaN;
  #jitter = NaN;
  // Lazily allocated: idle peers that were never measured cost nothing here.
  #window: Float64Array | undefined;
  #next = 0;

  record(rtt: number): void {
    this.received++;
    if (this.received > 1) {
      const d = Math.abs(rtt - this.#last);
      this.#jitter = Number.isNaN(this.#jitter) ? d : this.#jitter + (d - this.#jitter) / 16;
    }
    this.#last = rtt;
    this.#min = Math.min(this.#min, rtt);
    this.#max = Math.max(this.#max, rtt);
    this.#sum += rtt;
    this.#ewma = Number.isNaN(this.#ewma) ? rtt : this.#ewma + (rtt - this.#ewma) / 8;
    this.#window ??= new Float64Array(WINDOW);
    this.#window[this.#next++ % WINDOW] = rtt;
  }

  snapshot(): RttSnapshot {
    const s: RttSnapshot = { sent: this.sent, received: this.received, missed: this.missed };
    if (this.received === 0) return s;
    const recent = this.#window!.slice(0, Math.min(this.#next, WINDOW)).sort();
    const mid = recent.length >> 1;
    return {
      ...s,
      last: this.#last,
      min: this.#min,
      max: this.#max,
      mean: this.#sum / this.received,
      ewma: this.#ewma,
      jitter: Number.isNaN(this.#jitter) ? 0 : this.#jitter,
      median: recent.length % 2 ? recent[mid]! : (recent[mid - 1]! + recent[mid]!) / 2,
    };
  }
}
