import { type CryptoAsset, cryptoDueForFiat, type FiatCurrency, RatesUnavailableError } from '@coinstile/core';
import { FxDecimal, PUBLISHED_RATE_DIGITS } from '../fx-decimal';

/** Digits after the point a quoted rate may carry (core's `parseRate` bound). */
const MAX_RATE_DECIMALS = 20;

/**
 * The rate a shopper is quoted: the market rate less `spreadBps`, rounded **down**, so the shopper
 * sends more crypto and the mall keeps the spread; the store still gets its full fiat price.
 */
export function applySpread(marketRate: string, spreadBps: number): string {
  const rate = new FxDecimal(marketRate)
    .times(10_000 - spreadBps)
    .div(10_000)
    .toSignificantDigits(PUBLISHED_RATE_DIGITS, FxDecimal.ROUND_DOWN)
    .toDecimalPlaces(MAX_RATE_DECIMALS, FxDecimal.ROUND_DOWN);
  if (rate.lte(0)) throw new RatesUnavailableError(`Rate ${marketRate} is too small to quote`);
  return rate.toString();
}

export interface QuotePrice {
  /** The quoted rate (spread applied). */
  readonly rate: string;
  /** Base units due, rounded up by core's `cryptoDueForFiat`. */
  readonly amountDueBase: bigint;
}

/** Pure pricing: fiat price + market rate + spread → quoted rate and crypto amount due. */
export function priceQuote(input: {
  readonly asset: CryptoAsset;
  readonly currency: FiatCurrency;
  readonly priceMinor: bigint;
  readonly marketRate: string;
  readonly spreadBps: number;
}): QuotePrice {
  const rate = applySpread(input.marketRate, input.spreadBps);
  return { rate, amountDueBase: cryptoDueForFiat(input.priceMinor, input.currency, input.asset, rate) };
}
