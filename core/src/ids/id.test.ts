import fc from 'fast-check';
import { nextId } from './next-id';
import { ID_PREFIXES, ID_RANDOM_BYTES, idTimestampMs, InvalidIdError, isId, makeId, parseId } from './id';

const zeros = new Uint8Array(ID_RANDOM_BYTES);
const ones = new Uint8Array(ID_RANDOM_BYTES).fill(255);

test('layout: prefix, 10 time chars, 16 random chars, Crockford base32', () => {
  expect(makeId('co', 0, zeros)).toBe('co_' + '0'.repeat(26));
  expect(makeId('co', 2 ** 48 - 1, ones)).toBe('co_7' + 'Z'.repeat(25));
  // The ULID spec's example timestamp.
  expect(makeId('st', 1469918176385, zeros).slice(3, 13)).toBe('01ARYZ6S41');
});

test('round trip and time extraction', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...Object.values(ID_PREFIXES)),
      fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      fc.uint8Array({ minLength: ID_RANDOM_BYTES, maxLength: ID_RANDOM_BYTES }),
      (prefix, ms, random) => {
        const id = makeId(prefix, ms, random);
        expect(parseId(prefix, id)).toBe(id);
        expect(idTimestampMs(id)).toBe(ms);
      },
    ),
  );
});

test('ids sort by creation time', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 1, max: 2 ** 47 }), (a, d) => {
      expect(makeId('pay', a, ones) < makeId('pay', a + d, zeros)).toBe(true);
    }),
  );
});

test('distinct random bytes give distinct ids', () => {
  const b = new Uint8Array(ID_RANDOM_BYTES);
  b[9] = 1;
  expect(makeId('co', 5, b)).not.toBe(makeId('co', 5, zeros));
});

test('makeId refuses programming mistakes', () => {
  expect(() => makeId('co', -1, zeros)).toThrow(RangeError);
  expect(() => makeId('co', 2 ** 48, zeros)).toThrow(RangeError);
  expect(() => makeId('co', 1.5, zeros)).toThrow(RangeError);
  expect(() => makeId('co', 1, new Uint8Array(9))).toThrow(RangeError);
  expect(() => makeId('zz' as 'co', 1, zeros)).toThrow(RangeError);
});

test.each<[unknown, string]>([
  [42, 'not_a_string'],
  [null, 'not_a_string'],
  ['st_01ARYZ6S41TSV4RRFFQ69G5FAV', 'wrong_prefix'],
  ['co01ARYZ6S41TSV4RRFFQ69G5FAV', 'wrong_prefix'],
  ['co_01ARYZ6S41TSV4RRFFQ69G5FA', 'malformed'],
  ['co_01ARYZ6S41TSV4RRFFQ69G5FAVV', 'malformed'],
  ['co_01aryz6s41tsv4rrffq69g5fav', 'malformed'],
  ['co_01ARYZ6S41TSV4RRFFQ69G5FAI', 'malformed'],
  ['co_01ARYZ6S41TSV4RRFFQ69G5FAU', 'malformed'],
  ['co_81ARYZ6S41TSV4RRFFQ69G5FAV', 'malformed'],
  ['co_01ARYZ6S41TSV4RRFFQ69G5FA ', 'malformed'],
])('parseId refuses %p (%s)', (text, reason) => {
  expect(isId('co', text)).toBe(false);
  try {
    parseId('co', text);
    throw new Error('accepted');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidIdError);
    expect((e as InvalidIdError).reason).toBe(reason);
    expect((e as InvalidIdError).code).toBe('invalid_id');
    expect((e as InvalidIdError).httpStatus).toBe(400);
  }
});

test('nextId draws time from the clock and bytes from the random source', () => {
  const requested: number[] = [];
  const id = nextId('co', { now: () => new Date(1469918176385) }, { bytes: (n) => (requested.push(n), new Uint8Array(n).fill(255)) });
  expect(requested).toEqual([ID_RANDOM_BYTES]);
  expect(id).toBe('co_01ARYZ6S41' + 'Z'.repeat(16));
});
