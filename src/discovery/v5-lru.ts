/**
 * A map bounded in size and in age: the least recently used entry goes first when full, and an
 * entry older than its time to live reads as absent. Sessions and pending challenges live in
 * these, so nothing a remote sends can grow our memory past the bound.
 */
export class BoundedLru<V> {
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #map = new Map<string, { value: V; expires: number }>();
  readonly #now: () => number;

  constructor(max: number, ttlMs: number, now: () => number = Date.now) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`lru: max ${max} is not a positive integer`);
    if (!(ttlMs > 0)) throw new RangeError(`lru: ttl ${ttlMs} is not positive`);
    this.#max = max;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    const entry = this.#map.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.#now()) {
      this.#map.delete(key);
      return undefined;
    }
    // Re-insert: Map iterates in insertion order, so the first key is the least recently used.
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, { value, expires: this.#now() + this.#ttlMs });
    while (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }

  delete(key: string): boolean {
    return this.#map.delete(key);
  }

  /** Remove and return (a handshake answers its challenge once). */
  take(key: string): V | undefined {
    const value = this.get(key);
    this.#map.delete(key);
    return value;
  }

  clear(): void {
    this.#map.clear();
  }
}
