import type { Pair } from './pair';

/** The id of a rate source as configured in `FX_SOURCES` (`coinbase`, `kraken`, …, `static`). */
export type SourceId = string;

/** One value a source reported for one pair. */
export interface Observation {
  readonly source: SourceId;
  readonly pair: Pair;
  /** Units of `pair.quote` per unit of `pair.base`, a plain positive decimal string. */
  readonly value: string;
  /** When the exchange says the value was current (ms since epoch); `null` when its API gives no time. */
  readonly observedAtMs: number | null;
  /** When we received it (ms since epoch). */
  readonly fetchedAtMs: number;
  /** True for the static demo source: never a market rate. */
  readonly demo: boolean;
}

/**
 * The instant an observation's age is measured from: the exchange's own time when it gives one, but
 * never later than when we received it, so an exchange clock running ahead cannot keep a value fresh.
 */
export function effectiveObservedAtMs(observation: Observation): number {
  return Math.min(observation.observedAtMs ?? observation.fetchedAtMs, observation.fetchedAtMs);
}
