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
