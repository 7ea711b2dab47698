import type { SourceId } from '../observation';
import type { Pair } from '../pair';

/** How observations become a rate. Every field has a default (`DEFAULT_AGGREGATION_OPTIONS`). */
export interface AggregationOptions {
  /** Oldest crypto observation still used (ms). Default 60 000. */
  readonly maxAgeMs: number;
  /**
   * Oldest fiat-to-fiat observation still used (ms). Reference rates (ECB) are published once per
   * business day, so the default, 5 days, spans a weekend plus a holiday; anything older is stale.
   */
  readonly fiatMaxAgeMs: number;
  /** Observations further than this from the median (basis points) are dropped as outliers. Default 200 (2%). */
  readonly outlierBps: number;
  /** Distinct sources a crypto rate needs after outliers are dropped. Default 2. */
  readonly minSources: number;
  /** Distinct sources a fiat cross rate needs. Default 1: the ECB reference rate is authoritative. */
  readonly minFiatSources: number;
  /** USDC counts as USD only while its own USD rate is within this many basis points of 1. Default 100 (1%). */
  readonly usdcDepegBps: number;
  /** Codes that are crypto assets (everything else is fiat). */
  readonly cryptoCodes: ReadonlySet<string>;
  /** Only these sources count; `undefined` = all. */
  readonly allowedSources?: ReadonlySet<SourceId>;
}

export const DEFAULT_AGGREGATION_OPTIONS: AggregationOptions = {
  maxAgeMs: 60_000,
  fiatMaxAgeMs: 5 * 24 * 60 * 60 * 1000,
  outlierBps: 200,
  minSources: 2,
  minFiatSources: 1,
  usdcDepegBps: 100,
  cryptoCodes: new Set(['BTC', 'LTC', 'ETH', 'USDC', 'USDT']),
};

/** How old a value of `pair` may be: `fiatMaxAgeMs` when both sides are fiat, `maxAgeMs` otherwise. */
export function maxAgeMsFor(pair: Pair, options: AggregationOptions): number {
  const fiatPair = !options.cryptoCodes.has(pair.base) && !options.cryptoCodes.has(pair.quote);
  return fiatPair ? options.fiatMaxAgeMs : options.maxAgeMs;
}
