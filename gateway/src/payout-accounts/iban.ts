import { InvalidPayoutAccountError } from './payout-account-error';

/**
 * IBAN length per country code, from the SWIFT IBAN registry (ISO 13616). French overseas territories
 * and Åland use the FR and FI codes inside the IBAN, so they need no entry of their own.
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
  CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
  FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
  LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
  NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
  SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** Electronic format: spaces (and the hyphens some banks print) removed, upper case. */
export function normaliseIban(text: string): string {
  return text.replace(/[\s-]+/g, '').toUpperCase();
}

/** ISO 7064 MOD 97-10 over the rearranged IBAN, computed in chunks so no big integers are needed. */
export function ibanMod97(electronic: string): number {
  const rearranged = electronic.slice(4) + electronic.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? code - 55 : code - 48; // A=10 … Z=35
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder;
}

/** Validates an IBAN and returns it in electronic format. @throws InvalidPayoutAccountError */
export function parseIban(text: unknown, field = 'iban'): string {
  if (typeof text !== 'string') throw new InvalidPayoutAccountError(field, 'not_a_string', 'IBAN must be a string');
  const iban = normaliseIban(text);
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(iban)) {
    throw new InvalidPayoutAccountError(field, 'malformed', 'IBAN must be a country code, 2 check digits and up to 30 letters or digits');
  }
  const expectedLength = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expectedLength === undefined) {
    throw new InvalidPayoutAccountError(field, 'unknown_country', `${iban.slice(0, 2)} is not an IBAN country`);
  }
  if (iban.length !== expectedLength) {
    throw new InvalidPayoutAccountError(field, 'wrong_length', `A ${iban.slice(0, 2)} IBAN has ${expectedLength} characters, not ${iban.length}`);
  }
  if (ibanMod97(iban) !== 1) throw new InvalidPayoutAccountError(field, 'bad_checksum', 'IBAN check digits do not match (a typo?)');
  return iban;
}

/** Print format: groups of four, as on bank statements. */
export function formatIban(electronic: string): string {
  return electronic.replace(/(.{4})(?=.)/g, '$1 ');
}
