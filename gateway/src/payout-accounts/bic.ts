import { InvalidPayoutAccountError } from './payout-account-error';

/**
 * ISO 9362 BIC: 4-character party prefix (letters, or since the 2014 edition also digits), 2-letter
 * country code, 2-character location, optional 3-character branch (`XXX` = head office).
 */
const BIC_PATTERN = /^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/;

/** Validates a BIC and returns it upper case without spaces. @throws InvalidPayoutAccountError */
export function parseBic(text: unknown, field = 'bic'): string {
  if (typeof text !== 'string') throw new InvalidPayoutAccountError(field, 'not_a_string', 'BIC must be a string');
  const bic = text.replace(/\s+/g, '').toUpperCase();
  if (!BIC_PATTERN.test(bic)) {
    throw new InvalidPayoutAccountError(field, 'malformed', 'BIC must be 8 or 11 characters: bank (4), country (2 letters), location (2), optional branch (3)');
  }
  return bic;
}

/** The ISO 3166 country of a validated BIC. */
export function bicCountry(bic: string): string {
  return bic.slice(4, 6);
}
