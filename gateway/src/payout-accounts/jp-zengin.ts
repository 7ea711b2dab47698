import { InvalidPayoutAccountError } from './payout-account-error';

/** 預金種目 of the Zengin transfer format: 1 普通 (ordinary), 2 当座 (checking), 4 貯蓄 (savings). */
export type ZenginAccountType = 'ordinary' | 'checking' | 'savings';

export const ZENGIN_ACCOUNT_TYPE_CODE: Readonly<Record<ZenginAccountType, string>> = {
  ordinary: '1',
  checking: '2',
  savings: '4',
};

/** The Zengin record's 受取人名 (payee name) field is 30 characters wide. */
export const MAX_ZENGIN_NAME_LENGTH = 30;

/**
 * A conservative subset of the Zengin character set: half-width katakana ｱ–ﾝ with the voiced marks ﾞ ﾟ,
 * upper-case Latin letters, digits, space and ( ) . - /. Small kana (ｧ, ｯ, …) are written large in
 * Zengin names, so they are refused rather than silently changed.
 */
const ZENGIN_NAME = /^[\uFF71-\uFF9F A-Z0-9().\-/]+$/;

export function parseZenginBankCode(text: unknown, field = 'bankCode'): string {
  if (typeof text !== 'string' || !/^[0-9]{4}$/.test(text)) {
    throw new InvalidPayoutAccountError(field, 'malformed', 'Bank code (金融機関コード) is 4 digits');
  }
  return text;
}

export function parseZenginBranchCode(text: unknown, field = 'branchCode'): string {
  if (typeof text !== 'string' || !/^[0-9]{3}$/.test(text)) {
    throw new InvalidPayoutAccountError(field, 'malformed', 'Branch code (支店コード) is 3 digits');
  }
  return text;
}

/** Account numbers are 7 digits; shorter ones are written with leading zeros. */
export function parseZenginAccountNumber(text: unknown, field = 'accountNumber'): string {
  if (typeof text !== 'string' || !/^[0-9]{1,7}$/.test(text)) {
    throw new InvalidPayoutAccountError(field, 'malformed', 'Account number (口座番号) is up to 7 digits');
  }
  return text.padStart(7, '0');
}

export function parseZenginAccountType(text: unknown, field = 'accountType'): ZenginAccountType {
  if (text === 'ordinary' || text === 'checking' || text === 'savings') return text;
  throw new InvalidPayoutAccountError(field, 'malformed', 'Account type is ordinary (普通), checking (当座) or savings (貯蓄)');
}

/** The payee name in half-width katakana as the bank registered it (e.g. ｺｳﾍﾞﾃｲ-ﾊｳｽ(ｶ). */
export function parseZenginHolderName(text: unknown, field = 'holderNameKana'): string {
  if (typeof text !== 'string') throw new InvalidPayoutAccountError(field, 'not_a_string', 'Account holder name (kana) must be a string');
  const name = text.trim().replace(/ +/g, ' ');
  if (name.length === 0 || name.length > MAX_ZENGIN_NAME_LENGTH || !ZENGIN_NAME.test(name)) {
    throw new InvalidPayoutAccountError(
      field,
      'malformed',
      `Account holder name (口座名義) must be 1–${MAX_ZENGIN_NAME_LENGTH} half-width katakana, A–Z, 0–9, space or ( ) . - /`,
    );
  }
  return name;
}
