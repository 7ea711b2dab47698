import { makeId, type CheckoutId } from '@coinstile/core';
import { WatchedSet } from './watched-set';

const id = (n: number): CheckoutId => makeId('co', 1_700_000_000_000 + n, new Uint8Array(10).fill(n % 256));
const later = new Date(Date.now() + 60_000);

test('add, look up by slot, update in place, delete and reuse slots', () => {
  const set = new WatchedSet();
  expect(set.add('\x00\x14aaaaaaaaaaaaaaaaaaaa', id(1), 'BTC', later)).toBe(true);
  expect(set.add('\x00\x14bbbbbbbbbbbbbbbbbbbb', id(2), 'LTC', later)).toBe(true);
  expect(set.size).toBe(2);
  expect(set.get('\x00\x14aaaaaaaaaaaaaaaaaaaa')).toEqual({ checkoutId: id(1), asset: 'BTC' });
  expect(set.slotOf('nope')).toBe(-1);
  // The same key again (a re-announced checkout) updates, it does not duplicate.
  expect(set.add('\x00\x14aaaaaaaaaaaaaaaaaaaa', id(3), 'BTC', later)).toBe(false);
  expect(set.size).toBe(2);
  expect(set.get('\x00\x14aaaaaaaaaaaaaaaaaaaa')?.checkoutId).toBe(id(3));
  expect(set.delete('\x00\x14aaaaaaaaaaaaaaaaaaaa')).toBe(true);
  expect(set.delete('\x00\x14aaaaaaaaaaaaaaaaaaaa')).toBe(false);
  expect(set.get('\x00\x14aaaaaaaaaaaaaaaaaaaa')).toBeUndefined();
  set.add('0xabc', id(4), 'ETH', later);
  expect(set.size).toBe(2);
  expect(set.get('0xabc')).toEqual({ checkoutId: id(4), asset: 'ETH' });
});

test('only watched key lengths are worth building a key for', () => {
  const set = new WatchedSet();
  expect(set.watchesLength(22)).toBe(false);
  set.add('x'.repeat(22), id(1), 'BTC', later);
  set.add('y'.repeat(22), id(2), 'BTC', later);
  expect(set.watchesLength(22)).toBe(true);
  expect(set.watchesLength(34)).toBe(false);
  set.delete('x'.repeat(22));
  expect(set.watchesLength(22)).toBe(true);
  set.delete('y'.repeat(22));
  expect(set.watchesLength(22)).toBe(false);
});

test('grows past its initial capacity and prunes entries whose watch ended', () => {
  const set = new WatchedSet();
  const now = Date.now();
  for (let i = 0; i < 5000; i++) set.add(`key-${i}`, id(i), 'LTC', new Date(now + (i % 2 === 0 ? -1 : 60_000)));
  expect(set.size).toBe(5000);
  expect(set.pruneBefore(new Date(now))).toBe(2500);
  expect(set.size).toBe(2500);
  expect(set.get('key-0')).toBeUndefined();
  expect(set.get('key-4999')).toEqual({ checkoutId: id(4999), asset: 'LTC' });
});
