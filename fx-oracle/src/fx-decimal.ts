import Decimal from 'decimal.js';

/**
 * The only Decimal constructor fx-oracle uses: a private clone so no other package's (or test's) global
 * Decimal configuration can change how rates are computed. 40 significant digits keep cross rates
 * (crypto × fiat ÷ fiat) exact far beyond the 15 digits a published rate keeps; exponents are disabled in
 * `toString` so rates always travel as plain decimal strings.
 */
export const FxDecimal = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -40,
  toExpPos: 40,
});
export type FxDecimal = InstanceType<typeof FxDecimal>;

/** Significant digits a published (aggregated or quoted) rate keeps. */
export const PUBLISHED_RATE_DIGITS = 15;

const DECIMAL_STRING = /^[0-9]+(\.[0-9]+)?$/;

/**
 * Parses a strictly positive, finite, plain decimal string ("60123.45"); `null` for anything else
 * (empty, signs, exponents, "NaN", "Infinity", zero).
 */
export function parsePositiveDecimal(text: string): FxDecimal | null {
  if (!DECIMAL_STRING.test(text)) return null;
  const value = new FxDecimal(text);
  return value.isFinite() && value.gt(0) ? value : null;
}

/** A JSON number as a decimal, or `null` unless finite and strictly positive. */
export function positiveDecimalFromNumber(value: number): FxDecimal | null {
  if (!Number.isFinite(value) || value <= 0) return null;
  // String(number) is the shortest representation that round-trips, so no binary noise leaks in.
  return new FxDecimal(String(value));
}
