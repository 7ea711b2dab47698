import Decimal from 'decimal.js';
import { ValidationError } from '../errors/api-errors';
import { InvalidAmountError, MAX_FIAT_MINOR } from './amount';
import { CRYPTO_ASSETS, type CryptoAsset } from './crypto-asset';
import { type FiatCurrency, fiatExponent } from './fiat-currency';

declare const rateBrand: unique symbol;
/**
 * An exchange rate validated by `parseRate`: fiat major units per one crypto major unit, as a plain
 * decimal string ("9003412.5" JPY per BTC).
 */
export type Rate = string & { readonly [rateBrand]: true };

export type InvalidRateReason = 'not_a_string' | 'too_long' | 'malformed' | 'too_many_decimals' | 'not_positive';

/** A rate that is not a positive plain decimal of bounded size. 400 `invalid_rate`. */
export class InvalidRateError extends ValidationError {
  constructor(readonly reason: InvalidRateReason) {
    super(`Invalid exchange rate (${reason}): a positive plain decimal string is expected`, { reason }, 'invalid_rate');
  }
}

/** Longest rate string accepted, point included. */
export const MAX_RATE_LENGTH = 40;
/** Most digits after the point a rate may carry. */
export const MAX_RATE_DECIMALS = 20;

/*
 * Two private decimal.js constructors with directed rounding, never the global one. The bounds make
 * every conversion exact: a price ≤ 2^63 minor units (19 digits) times 10^18 base units divided by a
 * rate ≥ 10^-20 has fewer than 60 integer digits, so rounding the quotient towards +∞ (or −∞) to 60
 * significant digits never crosses an integer, and the final ceil/floor equals the exact one.
 */
const CeilDecimal = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_CEIL });
const FloorDecimal = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_FLOOR });

/**
 * Validates a rate: ASCII digits with at most one inner point ("0.5" yes; ".5", "5.", "1e6", "-3", " 3"
 * no), leading zeros only as the lone integer digit, at most 40 characters and 20 decimals, and > 0.
 */
export function parseRate(text: unknown): Rate {
  if (typeof text !== 'string') throw new InvalidRateError('not_a_string');
  if (text.length > MAX_RATE_LENGTH) throw new InvalidRateError('too_long');
  const match = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (match === null) throw new InvalidRateError('malformed');
  if ((match[2]?.length ?? 0) > MAX_RATE_DECIMALS) throw new InvalidRateError('too_many_decimals');
  if (/^[0.]+$/.test(text)) throw new InvalidRateError('not_positive');
  return text as Rate;
}

function checkPriceMinor(priceMinor: bigint, fiat: FiatCurrency): void {
  if (priceMinor < 0n) throw new InvalidAmountError('sign', fiat, `Negative ${fiat} amount`);
  if (priceMinor > MAX_FIAT_MINOR) throw new InvalidAmountError('too_large', fiat, `${fiat} amount is too large`);
}

/**
 * The crypto amount (base units) a shopper must send to pay `priceMinor` of `fiat` at `rate`, rounded
 * **up** to the next base unit so the store is never short: it is the least amount whose
 * `fiatValueOfCrypto` is at least the price.
 */
export function cryptoDueForFiat(priceMinor: bigint, fiat: FiatCurrency, asset: CryptoAsset, rate: string): bigint {
  const checkedRate = parseRate(rate);
  checkPriceMinor(priceMinor, fiat);
  const due = new CeilDecimal(priceMinor.toString())
    .times(new CeilDecimal(10).pow(CRYPTO_ASSETS[asset].decimals - fiatExponent(fiat)))
    .div(new CeilDecimal(checkedRate))
    .toDecimalPlaces(0, Decimal.ROUND_CEIL);
  return BigInt(due.toFixed(0));
}

/**
 * The fiat value (minor units) of `amountBase` of `asset` at `rate`, rounded **down**: the mall can
 * never claim, credit or pay out more fiat than the crypto it holds is worth, and together with the
 * upward rounding of `cryptoDueForFiat` a payment of exactly the amount due is worth at least the price.
 * Throws `InvalidAmountError` when the value does not fit fiat minor units (> 2^63−1).
 */
export function fiatValueOfCrypto(amountBase: bigint, asset: CryptoAsset, fiat: FiatCurrency, rate: string): bigint {
  const checkedRate = parseRate(rate);
  if (amountBase < 0n) throw new InvalidAmountError('sign', asset, `Negative ${asset} amount`);
  const value = new FloorDecimal(amountBase.toString())
    .times(new FloorDecimal(checkedRate))
    .times(new FloorDecimal(10).pow(fiatExponent(fiat) - CRYPTO_ASSETS[asset].decimals))
    .toDecimalPlaces(0, Decimal.ROUND_FLOOR);
  const minor = BigInt(value.toFixed(0));
  if (minor > MAX_FIAT_MINOR) {
    throw new InvalidAmountError('too_large', fiat, `Fiat value of ${asset} amount is too large`);
  }
  return minor;
}
