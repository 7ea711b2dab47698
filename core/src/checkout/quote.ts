import type { QuoteId } from '../ids/id';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';

/** A locked quote: the rate and the crypto amount due for one fiat price, valid until `expiresAt`. */
export interface Quote {
  readonly id: QuoteId;
  readonly asset: CryptoAsset;
  readonly currency: FiatCurrency;
  readonly priceMinor: bigint;
  /**
   * Fiat major units per one crypto major unit, a decimal string (validated with `parseRate` when a
   * checkout takes the quote; a plain string so quote services need not brand it).
   */
  readonly rate: string;
  /** `cryptoDueForFiat(priceMinor, currency, asset, rate)`: rounded up. */
  readonly amountDueBase: bigint;
  readonly expiresAt: Date;
}
