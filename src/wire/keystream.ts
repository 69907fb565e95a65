/**
 * One direction's AES-256-CTR keystream (zero IV), drawn from OpenSSL in 4 KiB blocks and
 * xored in JS. A frame needs 16 header bytes and its padded body from the stream: one
 * `cipher.update()` per frame half costs about 1.4 µs of call overhead and a fresh Buffer,
 * far more than xoring 100 bytes. The keystream itself is always OpenSSL's; only the xor is
 * ours. Inputs of BIG bytes or more go through the cipher directly (after what is left of the
 * current block), as OpenSSL's xor is the faster one there.
 */
import { createCipheriv, type Cipher } from 'node:crypto';

const BLOCK = 4096;
const BIG = 512;
const ZEROS = new Uint8Array(BLOCK);
const ZERO_IV = Buffer.alloc(16);

export class Keystream {
  readonly #cipher: Cipher;
  #buf: Uint8Array = new Uint8Array(0);
  #at = 0;

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
        this.#buf = this.#cipher.update(ZEROS);
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
  }
}
