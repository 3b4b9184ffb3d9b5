import { expect, it } from 'vitest';
import { BoundedLru } from './lru.js';

it('BoundedLru: evicts the least recently used beyond its bound; get refreshes recency, has does not', () => {
  const lru = new BoundedLru<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  expect(lru.get('a')).toBe(1); // a is now the most recent
  lru.set('c', 3); // evicts b
  expect(lru.has('b')).toBe(false);
  expect([...lru.values()]).toEqual([1, 3]);
  expect(lru.has('a')).toBe(true); // no recency change: a is still the oldest
  lru.set('d', 4); // evicts a
  expect(lru.has('a')).toBe(false);
  expect(lru.size).toBe(2);
  expect(lru.delete('c')).toBe(true);
  expect(lru.delete('c')).toBe(false);
  lru.clear();
  expect(lru.size).toBe(0);
  expect(new BoundedLru<string, number>(0).size).toBe(0);
});

it('BoundedLru: a stored undefined value still counts as a hit and is refreshed', () => {
  const lru = new BoundedLru<string, number | undefined>(2);
  lru.set('u', undefined);
  lru.set('x', 1);
  lru.get('u');
  lru.set('y', 2); // evicts x, not u
  expect(lru.has('u')).toBe(true);
  expect(lru.has('x')).toBe(false);
});

it('BoundedLru: evicts exactly like a reference model over a long random mix of get, set, delete and clear', () => {
  // The eviction keeps one live key iterator between calls: check it against a plain array model.
  const lru = new BoundedLru<number, number>(8);
  let model: number[] = []; // keys, least recently used first
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 20_000; i++) {
    const key = rand(24);
    const op = rand(100);
    if (op < 55) {
      lru.set(key, i);
      model = [...model.filter((k) => k !== key), key].slice(-8);
    } else if (op < 85) {
      const hit = model.includes(key);
      expect(lru.get(key) !== undefined).toBe(hit);
      if (hit) model = [...model.filter((k) => k !== key), key];
    } else if (op < 99) {
      expect(lru.delete(key)).toBe(model.includes(key));
      model = model.filter((k) => k !== key);
    } else {
      lru.clear();
      model = [];
    }
    expect(lru.size).toBe(model.length);
  }
  for (const k of model) expect(lru.has(k)).toBe(true);
});

it('BoundedLru: a hit on the newest key keeps the order; after delete or clear it is not taken for present', () => {
  const lru = new BoundedLru<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  expect(lru.get('b')).toBe(2); // already the newest
  lru.set('c', 3); // evicts a
  expect([...lru.values()]).toEqual([2, 3]);
  expect(lru.delete('c')).toBe(true);
  expect(lru.get('c')).toBeUndefined();
  lru.get('b');
  lru.set('d', 4);
  lru.set('e', 5); // evicts b
  expect(lru.has('b')).toBe(false);
  lru.clear();
  expect(lru.get('e')).toBeUndefined();
  expect(lru.size).toBe(0);
});
