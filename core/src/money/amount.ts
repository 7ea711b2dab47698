import { ValidationError } from '../errors/api-errors';
import { type AssetCode, assetExponent } from './asset-code';
import { isFiatCurrency } from './fiat-currency';

/** Why a decimal amount string was refused. */
export type InvalidAmountReason =
  | 'not_a_string'
  | 'empty'
  | 'too_long'
  | 'whitespace'
  | 'sign'
  | 'exponent'
  | 'invalid_character'
  | 'missing_integer_digits'
  | 'missing_fraction_digits'
  | 'leading_zero'
  | 'too_many_decimals'
  | 'too_large';

/** A decimal amount string the API cannot take exactly. 400 `invalid_amount`, `details.reason` says why. */
export class InvalidAmountError extends ValidationError {
  constructor(
    readonly reason: InvalidAmountReason,
    readonly asset: AssetCode,
    message: string,
  ) {
    super(message, { reason, asset }, 'invalid_amount');
  }
}

/**
 * The most digits an amount may have. 78 digits hold any uint256 and match the `NUMERIC(78,0)` columns;
 * the same bound caps the base-unit value so every parsed crypto amount fits the store of record.
 */
export const MAX_AMOUNT_DIGITS = 78;
const MAX_BASE_EXCLUSIVE = 10n ** BigInt(MAX_AMOUNT_DIGITS);
/** Fiat minor units live in Postgres `BIGINT`. */
export const MAX_FIAT_MINOR = 2n ** 63n - 1n;

/**
 * Parses a non-negative decimal string in the asset's major unit ("12.50" USD, "0.00055312" BTC) to
 * its smallest unit as a bigint (1250n, 55312n). Exact, and deliberately strict so one amount has one
 * spelling:
 * - ASCII digits and at most one `.`; no sign, exponent, grouping, whitespace or Unicode digits;
 * - an integer part is required and has no leading zero ("0.5" yes; ".5", "007", "00.5" no);
 * - a `.` must be followed by digits ("5." no) and at most the asset's exponent of them
 *   (trailing zeros inside that limit are fine: "12.50" USD; any `.` is refused for JPY);
 * - at most 78 digits, and the value must fit: < 10^78 base units, fiat ≤ 2^63−1 minor units.
 * Zero is accepted; callers that need a positive amount check that themselves.
 */
export function parseAmount(text: unknown, asset: AssetCode): bigint {
  const fail = (reason: InvalidAmountReason, message: string): never => {
    throw new InvalidAmountError(reason, asset, `Invalid ${asset} amount: ${message}`);
  };
  if (typeof text !== 'string') return fail('not_a_string', 'amounts are decimal strings');
  if (text.length === 0) return fail('empty', 'empty string');
  // Cheap bound before scanning: MAX digits plus one point.
  if (text.length > MAX_AMOUNT_DIGITS + 1) return fail('too_long', `more than ${MAX_AMOUNT_DIGITS} digits`);
  if (/\s/u.test(text)) return fail('whitespace', 'contains whitespace');
  if (/[+\-\u2212]/u.test(text)) return fail('sign', 'signs are not allowed');
  if (/[eE]/.test(text)) return fail('exponent', 'exponent notation is not allowed');
  const point = text.indexOf('.');
  const intPart = point === -1 ? text : text.slice(0, point);
  const fracPart = point === -1 ? '' : text.slice(point + 1);
  if (!/^[0-9]*$/.test(intPart) || !/^[0-9]*$/.test(fracPart)) {
    return fail('invalid_character', 'only ASCII digits and one "." are allowed');
  }
  if (intPart.length === 0) return fail('missing_integer_digits', 'write "0.5", not ".5"');
  if (point !== -1 && fracPart.length === 0) return fail('missing_fraction_digits', 'write "5", not "5."');
  if (intPart.length > 1 && intPart.startsWith('0')) return fail('leading_zero', 'leading zeros are not allowed');
  if (intPart.length + fracPart.length > MAX_AMOUNT_DIGITS) {
    return fail('too_long', `more than ${MAX_AMOUNT_DIGITS} digits`);
  }
  const exponent = assetExponent(asset);
  if (fracPart.length > exponent) {
    return fail(
      'too_many_decimals',
      exponent === 0 ? `${asset} has no minor units` : `${asset} allows at most ${exponent} decimals`,
    );
  }
  const base = BigInt(intPart + fracPart.padEnd(exponent, '0'));
  if (base >= MAX_BASE_EXCLUSIVE || (isFiatCurrency(asset) && base > MAX_FIAT_MINOR)) {
    return fail('too_large', 'amount is too large');
  }
  return base;
}

/**
 * Formats an amount in the asset's smallest unit as a decimal string in its major unit. Fiat always
 * shows exactly its exponent's digits ("12.50" USD, "4980" JPY), as invoices do; crypto drops trailing
 * zeros ("0.00055312", "1"), as wallets do. Negative amounts (ledger credits) get a leading "-";
 * `parseAmount` refuses those, by design.
 */
export function formatAmount(base: bigint, asset: AssetCode): string {
  if (base < 0n) return `-${formatAmount(-base, asset)}`;
  const exponent = assetExponent(asset);
  if (exponent === 0) return base.toString();
  const digits = base.toString().padStart(exponent + 1, '0');
  const intPart = digits.slice(0, digits.length - exponent);
  let fracPart = digits.slice(digits.length - exponent);
  if (!isFiatCurrency(asset)) fracPart = fracPart.replace(/0+$/, '');
  return fracPart.length === 0 ? intPart : `${intPart}.${fracPart}`;
}
