import { SHOPPER_ACCOUNT_STATUSES } from '@coinstile/core';
import { z } from 'zod';
import { cryptoAssetSchema, text } from '../http/schemas';

const decimalString = z.string().max(80).describe('A decimal string in the major unit of the account currency, e.g. "5000" JPY or "12.50" USD');
const accessCode = z.string().min(1).max(64).describe('The access code shown once when the account was created (dashes and case ignored)');
const cursor = z.string().max(40).optional();
const limit = z.string().regex(/^[0-9]{1,3}$/).optional().describe('1 to 100, default 20');

export const createShopperAccountSchema = z.strictObject({
  currency: z.string().max(8).describe('ISO 4217 code of the balance'),
  creditLevel: decimalString.optional().describe('The overdraft allowed (default 0)'),
  label: text(200).optional().describe("The operator's note (never shown to shoppers)"),
  topUpStoreId: z.string().max(40).optional().describe("The mall's store whose wallets receive this account's top-ups"),
});

export const setCreditLevelSchema = z.strictObject({ creditLevel: decimalString.describe('The overdraft allowed: the balance may go down to minus this') });

export const setShopperAccountStatusSchema = z.strictObject({
  status: z.enum(SHOPPER_ACCOUNT_STATUSES as unknown as ['active', 'frozen', 'closed']).describe('`frozen`: credits only; `closed`: final, needs a zero balance'),
});

export const listShopperAccountsQuerySchema = z.strictObject({ cursor, limit });

export const shopperStatementSchema = z.strictObject({ accessCode, cursor, limit });

export const createTopUpSchema = z.strictObject({
  accessCode,
  amount: decimalString.describe('How much to add to the balance, in its currency'),
  asset: cryptoAssetSchema.optional().describe('Pay with this asset: payment instructions come back at once'),
});

export const payCheckoutSchema = z.strictObject({
  accessCode,
  checkoutId: z.string().max(40).describe('The checkout (co_…) to pay from the balance'),
});
