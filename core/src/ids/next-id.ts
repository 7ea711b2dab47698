import type { Clock } from '../ports/clock';
import type { RandomSource } from '../ports/random-source';
import { type Id, ID_RANDOM_BYTES, type IdPrefix, makeId } from './id';

/** A new id of kind `prefix` from the injected clock and randomness. */
export function nextId<P extends IdPrefix>(prefix: P, clock: Clock, random: RandomSource): Id<P> {
  return makeId(prefix, clock.now().getTime(), random.bytes(ID_RANDOM_BYTES));
}
