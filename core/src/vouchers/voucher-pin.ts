import { ValidationError } from '../errors/api-errors';
import type { RandomSource } from '../ports/random-source';

declare const pinBrand: unique symbol;
/** A voucher PIN validated by `parsePin`: 16 ASCII digits whose last one is the Luhn check digit. */
export type VoucherPin = string & { readonly [pinBrand]: true };

export const PIN_DIGITS = 16;

/** A PIN that is not 16 digits, or whose check digit is wrong (a typo, caught before any lookup). 400 `invalid_pin`. */
export class InvalidPinError extends ValidationError {
  constructor(readonly reason: 'not_a_string' | 'malformed' | 'check_digit') {
    super(`A voucher PIN is ${PIN_DIGITS} digits, the last one a check digit (${reason})`, { field: 'pin', reason }, 'invalid_pin');
  }
}

/** The Luhn (mod 10) check digit of a string of digits. */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // Doubling starts with the rightmost payload digit: the check digit will sit to its right.
  for (let i = payload.length - 1, double = true; i >= 0; i -= 1, double = !double) {
    let d = payload.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw new RangeError('luhnCheckDigit takes digits only');
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/**
 * Validates a PIN as typed by a person: spaces and hyphens between digit groups are ignored
 * ("1234 5678-9012 3456"); anything else must be a digit. Returns the 16 bare digits.
 */
export function parsePin(text: unknown): VoucherPin {
  if (typeof text !== 'string') throw new InvalidPinError('not_a_string');
  if (text.length > 64) throw new InvalidPinError('malformed');
  const digits = text.replace(/[ -]/g, '');
  if (!/^[0-9]{16}$/.test(digits)) throw new InvalidPinError('malformed');
  if (luhnCheckDigit(digits.slice(0, PIN_DIGITS - 1)) !== digits.charCodeAt(PIN_DIGITS - 1) - 48) throw new InvalidPinError('check_digit');
  return digits as VoucherPin;
}

/**
 * A fresh PIN: 15 uniformly random digits (bytes ≥ 250 are rejected so every digit is equally likely)
 * and the Luhn check digit.
 */
export function generatePin(random: RandomSource): VoucherPin {
  let payload = '';
  while (payload.length < PIN_DIGITS - 1) {
    for (const byte of random.bytes(PIN_DIGITS)) {
      if (byte >= 250 || payload.length === PIN_DIGITS - 1) continue;
      payload += String(byte % 10);
    }
  }
  return `${payload}${luhnCheckDigit(payload)}` as VoucherPin;
}

/** The PIN as printed on a card: four groups of four digits. */
export function formatPin(pin: VoucherPin): string {
  return pin.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** The last four digits, the only part of a PIN ever stored or shown after issue. */
export function pinLast4(pin: VoucherPin): string {
  return pin.slice(-4);
}
