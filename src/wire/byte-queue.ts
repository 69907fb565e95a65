/**
 * Socket chunks waiting to be parsed: pushed as they arrive, taken by exact byte counts.
 * Shared by the handshake reader and the frame reader.
 */
import { emptyList, owned } from './empty-list.js';

export class ByteQueue {
  #chunks: Uint8Array[] = emptyList();
  #length = 0;

  /** Bytes queued. */
  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    (this.#chunks = owned(this.#chunks)).push(chunk);
    this.#length += chunk.length;
  }

  /** The byte at offset `i` (i < length), without taking it. */
  peek(i: number): number {
    for (const c of this.#chunks) {
      if (i < c.length) return c[i]!;
      i -= c.length;
    }
    throw new RangeError(`ByteQueue.peek: offset ${i} beyond the queued bytes`);
  }

  /** Remove `n` bytes (n <= length): a view when they sit in one chunk, else one exact-size copy. */
  take(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length > n) this.#chunks[0] = first.subarray(n);
      else if (this.#chunks.length === 1) this.#chunks = emptyList(); // drop a grown backing store
      else this.#chunks.shift();
    } else {
      out = new Uint8Array(n);
      let at = 0;
      // Whole chunks are dropped in one splice at the end: shifting one at a time would make
      // data sent one byte per packet cost O(n^2).
      let used = 0;
      while (at < n) {
        const c = this.#chunks[used]!;
        const want = n - at;
        if (c.length <= want) {
          out.set(c, at);
          at += c.length;
          used++;
        } else {
          out.set(c.subarray(0, want), at);
          this.#chunks[used] = c.subarray(want);
          at = n;
        }
      }
      if (used === this.#chunks.length) this.#chunks = emptyList();
      else this.#chunks.splice(0, used);
    }
    this.#length -= n;
    return out;
  }

  /** Remove and return every queued chunk. */
  drain(): Uint8Array[] {
    const chunks = this.#chunks;
    this.#chunks = emptyList();
    this.#length = 0;
    return chunks;
  }
}
