const NONE: unique symbol = Symbol('none');

/** A bounded least-recently-used map (insertion order of a `Map`; a hit moves the key to the end). */
export class BoundedLru<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();
  // One live iterator over the keys, oldest first: every key it passed was evicted, so its next key is the oldest.
  // A fresh `keys()` per eviction would rescan the deleted slots at the front of the Map (O(size) each, V8).
  #oldest: Iterator<K> | undefined;
  /** The most recently used key (`NONE` when unknown): a hit on it needs no reordering. */
  #newest: K | typeof NONE = NONE;

  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
  }

  /** The value of `key`, marking it recently used. */
  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined && !this.#map.has(key)) return undefined;
    if (key !== this.#newest) {
      this.#map.delete(key);
      this.#map.set(key, v as V);
      this.#newest = key;
    }
    return v;
  }

  /** True when `key` is present (does not touch its recency). */
  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Stores `key` as the most recently used, evicting the least recently used entries beyond the bound. */
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    while (this.#map.size > this.#max) {
      let oldest = this.#oldest?.next();
      if (!oldest || oldest.done) {
        this.#oldest = this.#map.keys();
        oldest = this.#oldest.next();
      }
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
  }

  /** Removes `key`; true when it was present. */
  delete(key: K): boolean {
    if (key === this.#newest) this.#newest = NONE;
    return this.#map.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#newest = NONE;
    this.#oldest = undefined;
    this.#map.clear();
  }

  /** Number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** The values, least recently used first (does not touch recency). */
  values(): IterableIterator<V> {
    return this.#map.values();
  }
}
