/**
 * A least-recently-used cache of byte arrays under a total byte budget: what a file-backed
 * store keeps of the items it served last, so that a hot range is served from memory while
 * memory stays bounded whatever the file's size. An item above an eighth of the budget is
 * not kept (one 10 MiB receipts list would otherwise flush everything else).
 */
export class ByteLru<K> {
  readonly #budget: number;
  readonly #items = new Map<K, Uint8Array>();
  #bytes = 0;

  constructor(budget: number) {
    if (!Number.isSafeInteger(budget) || budget < 0) throw new RangeError(`cache budget must be a non-negative integer, got ${budget}`);
    this.#budget = budget;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  get(key: K): Uint8Array | undefined {
    const v = this.#items.get(key);
    if (v === undefined) return undefined;
    this.#items.delete(key); // Map order is recency order: move it to the end
    this.#items.set(key, v);
    return v;
  }

  set(key: K, value: Uint8Array): void {
    if (value.length > this.#budget / 8) return;
    const old = this.#items.get(key);
    if (old) {
      this.#bytes -= old.length;
      this.#items.delete(key);
    }
    this.#items.set(key, value);
    this.#bytes += value.length;
    for (const [k, v] of this.#items) {
      if (this.#bytes <= this.#budget) break;
      this.#items.delete(k);
      this.#bytes -= v.length;
    }
  }

  /** The cached value, or `load()`'s, kept for next time. */
  async through(key: K, load: () => Promise<Uint8Array | undefined>): Promise<Uint8Array | undefined> {
    const hit = this.get(key);
    if (hit) return hit;
    const v = await load();
    if (v) this.set(key, v);
    return v;
  }
}
