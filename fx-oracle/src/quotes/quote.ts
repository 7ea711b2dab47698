import type { Quote as CoreQuote, CryptoAsset, FiatCurrency, QuoteId } from '@coinstile/core';
import type { RateComponent } from '../aggregation/aggregated-rate';

/** `active` until `expiresAt`; an `expired` quote is never honoured, only replaced by a new one. */
export type QuoteStatus = 'active' | 'expired';

/**
 * A locked quote: what a shopper must send for a fiat price, fixed at one rate until it expires. Extends
 * core's `Quote` (what a checkout keeps) with the store, the market rate, the spread and the sources.
 */
export interface Quote extends CoreQuote {
  readonly id: QuoteId;
  readonly storeId: string;
  readonly asset: CryptoAsset;
  readonly currency: FiatCurrency;
  /** The fiat price, in ISO 4217 minor units of `currency`. */
  readonly priceMinor: bigint;
  /** What the shopper sends, in base units of `asset`, rounded up. */
  readonly amountDueBase: bigint;
  /** The rate the amount was computed at (fiat per asset, spread applied). */
  readonly rate: string;
  /** The aggregated market rate before the spread. */
  readonly marketRate: string;
  readonly spreadBps: number;
  /** Every source value behind `marketRate`. */
  readonly sources: readonly RateComponent[];
  /** True when priced from the demo source ("demo rates"). */
  readonly demo: boolean;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export function quoteStatus(quote: Quote, nowMs: number): QuoteStatus {
  return nowMs < quote.expiresAt.getTime() ? 'active' : 'expired';
}
