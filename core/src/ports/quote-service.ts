import type { Quote } from '../checkout/quote';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';

export interface QuoteRequest {
  readonly storeId: string;
  readonly asset: CryptoAsset;
  readonly currency: FiatCurrency;
  /** The fiat price to lock, minor units of `currency`, > 0. */
  readonly priceMinor: bigint;
}

/** Locks a fiat price into a crypto amount at the current rate (the store's spread applied). */
export interface QuoteService {
  /**
   * A new persisted quote: `amountDueBase = cryptoDueForFiat(priceMinor, currency, asset, rate)` (rounded
   * up), valid until `expiresAt`. Throws `RatesUnavailableError` (503) when no fresh rate exists,
   * `ValidationError` (400) for a bad request.
   */
  lock(request: QuoteRequest): Promise<Quote>;
}
