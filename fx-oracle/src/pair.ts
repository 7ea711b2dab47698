import { ValidationError } from '@coinstile/core';

/** A currency pair: `rate` units of `quote` buy one unit of `base` (BTC-USD 60000: one BTC is 60000 USD). */
export interface Pair {
  readonly base: string;
  readonly quote: string;
}

/** The canonical text form, `BASE-QUOTE`, used as Redis key part and on the wire. */
export type PairKey = `${string}-${string}`;

export function pairKey(pair: Pair): PairKey {
  return `${pair.base}-${pair.quote}`;
}

const PAIR_KEY = /^([A-Z0-9]{2,10})-([A-Z0-9]{2,10})$/;

/** Parses `BTC-USD`; throws a 400 ValidationError for anything else. */
export function parsePairKey(text: string): Pair {
  const match = PAIR_KEY.exec(text.trim().toUpperCase());
  if (!match || match[1] === undefined || match[2] === undefined || match[1] === match[2]) {
    throw new ValidationError(`Invalid currency pair "${text}" (expected e.g. BTC-USD)`, { pair: text }, 'invalid_pair');
  }
  return { base: match[1], quote: match[2] };
}
