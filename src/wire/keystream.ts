/**
 * One direction's AES-256-CTR keystream (zero IV), drawn from OpenSSL in blocks (128 bytes,
 * 4 KiB while refills come within 50 ms of each other) and xored in JS. A frame needs 16 header bytes and its padded body from the stream: one
 * `cipher.update()` per frame half costs about 1.4 µs of call overhead and a fresh Buffer,
 * far more than xoring 100 bytes. The keystream itself is always OpenSSL's; only the xor is
 * ours. Inputs of BIG bytes or more go through the cipher directly (after what is left of the
 * current block), as OpenSSL's xor is the faster one there. A used-up block is let go at
 * once, and a quiet session draws small ones: 4 KiB blocks for every session cost 8 KiB of
 * external memory per peer at 10,000 idle peers.
 */
import { createCipheriv, type Cipher } from 'node:crypto';

/** Keystream drawn per refill: a small block for a quiet session, a large one while it is busy. */
const SMALL_BLOCK = 128;
const LARGE_BLOCK = 4096;
/** A refill this soon after the previous one means a busy stream. */
const BUSY_MS = 50;
const BIG = 512;
const ZEROS = new Uint8Array(LARGE_BLOCK);
const EMPTY = new Uint8Array(0);
const ZERO_IV = Buffer.alloc(16);

export class Keystream {
  readonly #cipher: Cipher;
  #buf: Uint8Array = EMPTY;
  #at = 0;
  #lastRefill = -Infinity;

  constructor(key: Uint8Array) {
    this.#cipher = createCipheriv('aes-256-ctr', key, ZERO_IV);
  }

  /** Write `data` xor the next data.length keystream bytes into `out` at `outAt`. */
  xorInto(data: Uint8Array, out: Uint8Array, outAt: number): void {
    const n = data.length;
    let i = 0;
    if (n >= BIG) {
      const left = Math.min(n, this.#buf.length - this.#at);
      this.#xor(data, 0, left, out, outAt);
      out.set(this.#cipher.update(data.subarray(left)), outAt + left);
      return;
    }
    while (i < n) {
      if (this.#at === this.#buf.length) {
        const now = performance.now();
        this.#buf = this.#cipher.update(now - this.#lastRefill < BUSY_MS ? ZEROS : ZEROS.subarray(0, SMALL_BLOCK));
        this.#lastRefill = now;
        this.#at = 0;
      }
      const m = Math.min(n - i, this.#buf.length - this.#at);
      this.#xor(data, i, m, out, outAt + i);
      i += m;
    }
  }

  /** m bytes of data from `from`, xor the current block from #at, into out at `to`. */
  #xor(data: Uint8Array, from: number, m: number, out: Uint8Array, to: number): void {
    const ks = this.#buf;
    const at = this.#at;
    for (let k = 0; k < m; k++) out[to + k] = data[from + k]! ^ ks[at + k]!;
    this.#at = at + m;
    if (this.#at === ks.length) {
      this.#buf = EMPTY;
      this.#at = 0;
    }
  }
}
