/** A bounded least-recently-used map (insertion order of a `Map`; a hit moves the key to the end). */
export class BoundedLru<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();

  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
  }

  /** The value of `key`, marking it recently used. */
  get(key: K): V | undefined {
    if (!this.#map.has(key)) return undefined;
    const v = this.#map.get(key) as V;
    this.#map.delete(key);
    this.#map.set(key, v);
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
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
    }
  }

  /** Removes `key`; true when it was present. */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
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
