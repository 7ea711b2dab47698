import { InvalidPayoutAccountError } from './payout-account-error';

/** ISO 20022 `Nm` of a creditor (pain.001) holds at most 70 characters. */
export const MAX_HOLDER_NAME_LENGTH = 70;

/** Trims and collapses whitespace; refuses empty, over-long, or control-character names. */
export function parseHolderName(text: unknown, field = 'holderName'): string {
  if (typeof text !== 'string') throw new InvalidPayoutAccountError(field, 'not_a_string', 'Account holder name must be a string');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text.replace(/[\t\n\r]/g, ' '))) {
    throw new InvalidPayoutAccountError(field, 'control_characters', 'Account holder name has control characters');
  }
  const name = text.trim().replace(/\s+/g, ' ');
  if (name.length === 0) throw new InvalidPayoutAccountError(field, 'empty', 'Account holder name is required');
  if ([...name].length > MAX_HOLDER_NAME_LENGTH) {
    throw new InvalidPayoutAccountError(field, 'too_long', `Account holder name has more than ${MAX_HOLDER_NAME_LENGTH} characters`);
  }
  return name;
}
