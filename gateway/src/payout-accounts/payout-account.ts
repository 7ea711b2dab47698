import { parseBic } from './bic';
import { parseHolderName } from './holder-name';
import { parseIban } from './iban';
import {
  parseZenginAccountNumber,
  parseZenginAccountType,
  parseZenginBankCode,
  parseZenginBranchCode,
  parseZenginHolderName,
  type ZenginAccountType,
} from './jp-zengin';
import { InvalidPayoutAccountError } from './payout-account-error';

/** An account reachable by SEPA / SWIFT credit transfer. */
export interface IbanPayoutAccount {
  readonly kind: 'iban';
  /** Electronic format (no spaces, upper case), checksum verified. */
  readonly iban: string;
  /** 8 or 11 characters; optional since SEPA transfers route by IBAN alone. */
  readonly bic: string | undefined;
  readonly holderName: string;
}

/** A Japanese domestic account paid through the Zengin system (JPY stores). */
export interface JpZenginPayoutAccount {
  readonly kind: 'jp_zengin';
  readonly bankCode: string;
  readonly branchCode: string;
  readonly accountType: ZenginAccountType;
  /** 7 digits, zero-padded. */
  readonly accountNumber: string;
  /** Half-width katakana, as registered with the bank. */
  readonly holderNameKana: string;
}

/** Where a store's fiat is paid. New kinds (ACH, Faster Payments…) join this union. */
export type PayoutAccount = IbanPayoutAccount | JpZenginPayoutAccount;

export type PayoutAccountKind = PayoutAccount['kind'];

function asRecord(input: unknown): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidPayoutAccountError('payoutAccount', 'not_an_object', 'Payout account must be an object');
  }
  return input as Record<string, unknown>;
}

/**
 * Validates a payout account from an API body. `kind` defaults to `iban` when an `iban` field is
 * present, so `{ iban, bic, holderName }` (DESIGN.md's example) is accepted as it is.
 * @throws InvalidPayoutAccountError naming the field at fault
 */
export function parsePayoutAccount(input: unknown): PayoutAccount {
  const body = asRecord(input);
  const kind = body.kind ?? ('iban' in body ? 'iban' : undefined);
  switch (kind) {
    case 'iban':
      return {
        kind: 'iban',
        iban: parseIban(body.iban),
        bic: body.bic === undefined || body.bic === null || body.bic === '' ? undefined : parseBic(body.bic),
        holderName: parseHolderName(body.holderName),
      };
    case 'jp_zengin':
      return {
        kind: 'jp_zengin',
        bankCode: parseZenginBankCode(body.bankCode),
        branchCode: parseZenginBranchCode(body.branchCode),
        accountType: parseZenginAccountType(body.accountType),
        accountNumber: parseZenginAccountNumber(body.accountNumber),
        holderNameKana: parseZenginHolderName(body.holderNameKana),
      };
    default:
      throw new InvalidPayoutAccountError('kind', 'unknown_kind', 'Payout account kind must be iban or jp_zengin');
  }
}
