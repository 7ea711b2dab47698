import type { QuoteId } from '../ids/id';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';
import type { Rate } from '../money/rate';

/** A locked quote: the rate and the crypto amount due for one fiat price, valid until `expiresAt`. */
export interface Quote {
  readonly id: QuoteId;
  readonly asset: CryptoAsset;
  readonly currency: FiatCurrency;
  readonly priceMinor: bigint;
  /** Fiat major units per one crypto major unit. */
  readonly rate: Rate;
  /** `cryptoDueForFiat(priceMinor, currency, asset, rate)`: rounded up. */
  readonly amountDueBase: bigint;
  readonly expiresAt: Date;
}
