import type { PairKey } from '../pair';
import type { SourceId } from '../observation';

/** One source value behind a rate, exactly as the source reported it (pair and value in its own terms). */
export interface RateComponent {
  readonly source: SourceId;
  /** The pair the source reported, e.g. `BTC-USDT` or `EUR-JPY` for the fiat leg of a cross. */
  readonly pair: PairKey;
  readonly value: string;
  readonly observedAtMs: number;
  readonly demo: boolean;
}

/** A rate fit to quote with: `rate` units of `quote` (fiat, major units) per unit of `base` (asset). */
export interface AggregatedRate {
  readonly pair: PairKey;
  readonly base: string;
  readonly quote: string;
  /** Plain decimal string, at most 15 significant digits. */
  readonly rate: string;
  /** Every source value the rate was computed from, fiat legs of crosses included. */
  readonly sources: readonly RateComponent[];
  /** Values seen but dropped as outliers. */
  readonly outliers: readonly RateComponent[];
  /** The oldest value used: the rate is no fresher than this. */
  readonly observedAtMs: number;
  /** True when any value used came from the demo source: show "demo rates". */
  readonly demo: boolean;
}

/** Why no rate could be computed. */
export type UnavailableReason = 'no_fresh_rates' | 'too_few_sources' | 'depeg';

export type RateResolution =
  | { readonly kind: 'available'; readonly rate: AggregatedRate }
  | { readonly kind: 'unavailable'; readonly pair: PairKey; readonly reason: UnavailableReason; readonly detail: string };
