/**
 * One direction's AES-256-CTR keystream (zero IV), drawn from OpenSSL and xored in JS. A frame
 * needs 16 header bytes and its padded body from the stream: one `cipher.update()` per frame
 * half costs about 1.4 µs of call overhead and a fresh Buffer, far more than xoring 100 bytes.
 * The keystream itself is always OpenSSL's; only the xor is ours. Inputs of BIG bytes or more
 * go through the cipher directly (after what is left of the current block), as OpenSSL's xor
 * is the faster one there.
 *
 * A quiet stream draws exactly what its next frame needs (the caller says how much with
 * reserve()), in one call, and keeps nothing between frames: at 10,000 idle peers every byte
 * kept per stream counts, and a kept block is a Buffer and an ArrayBuffer on the JS heap. Once
 * refills come in quick succession the stream is busy and draws 4 KiB blocks; a used-up block
 * is let go at once.
 */
import { createCipheriv, type Cipher } from 'node:crypto';

/** Keystream drawn per refill while the stream is busy. */
const LARGE_BLOCK = 4096;
/** A refill this soon after the previous one is a quick one ... */
const BUSY_MS = 50;
/** ... and this many quick ones in a row make a busy stream. */
const BUSY_AFTER = 4;
const BIG = 512;
const ZEROS = new Uint8Array(LARGE_BLOCK);
const EMPTY = new Uint8Array(0);
const ZERO_IV = Buffer.alloc(16);

export class Keystream {
  readonly #cipher: Cipher;
  #buf: Uint8Array = EMPTY;
  #at = 0;
  #lastRefill = -Infinity;
  /** Quick refills in a row (see BUSY_AFTER). */
  #quick = 0;
  /** Bytes the caller will draw soon beyond what is left of #buf (see reserve). */
  #reserved = 0;

  constructor(key: Uint8Array) {
    this.#cipher = createCipheriv('aes-256-ctr', key, ZERO_IV);
  }

  /**
   * The next pieces to be xored, in this order, are about these sizes (a frame's header, body
   * and padding): a quiet stream then draws their keystream in one refill. Only a hint; any
   * sizes are correct. A body of BIG bytes or more goes through the cipher and needs no block.
   */
  reserve(header: number, body: number, pad: number): void {
    this.#reserved = header + (body < BIG ? body : 0) + pad - (this.#buf.length - this.#at);
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
      if (this.#at === this.#buf.length) this.#refill(n - i);
      const m = Math.min(n - i, this.#buf.length - this.#at);
      this.#xor(data, i, m, out, outAt + i);
      i += m;
    }
  }

  /** A new block of at least `need` bytes: the reserved size while quiet, LARGE_BLOCK while busy. */
  #refill(need: number): void {
    const now = performance.now();
    this.#quick = now - this.#lastRefill < BUSY_MS ? Math.min(this.#quick + 1, BUSY_AFTER) : 0;
    this.#lastRefill = now;
    // need < BIG here, so a block is never larger than LARGE_BLOCK.
    const size = this.#quick >= BUSY_AFTER ? LARGE_BLOCK : Math.max(need, Math.min(this.#reserved, LARGE_BLOCK));
    this.#reserved = 0;
    this.#buf = this.#cipher.update(ZEROS.subarray(0, size));
    this.#at = 0;
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
