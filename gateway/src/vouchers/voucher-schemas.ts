import { z } from 'zod';
import { text } from '../http/schemas';

const decimalString = z.string().max(80).describe('A decimal string in the major unit, e.g. "3000" JPY or "25.00" USD');
const pinSchema = z.string().max(64).describe('The 16-digit voucher PIN (spaces and hyphens between groups are ignored)');

/** `POST /v1/voucher-batches` body. */
export const createVoucherBatchSchema = z.strictObject({
  count: z.int().min(1).max(1000).describe('How many vouchers (PINs) to issue'),
  faceValue: decimalString,
  currency: z.string().max(8).describe('ISO 4217 code, e.g. "JPY"'),
  expiresAt: z.iso.datetime({ offset: true }).describe('When unspent balances stop being spendable'),
  label: text(200).optional(),
});
export type CreateVoucherBatchRequest = z.infer<typeof createVoucherBatchSchema>;

/** `GET /v1/voucher-batches` query. */
export const listVoucherBatchesQuerySchema = z.strictObject({
  limit: z.string().max(4).optional(),
  cursor: z.string().max(200).optional(),
});

/** `GET /v1/voucher-batches/{id}/pins.csv` query: the one-time download token of the create response. */
export const pinsCsvQuerySchema = z.strictObject({ token: z.string().max(100) });

/** `POST /v1/vouchers/activate` body (a store key with the `pos` scope). */
export const activateVoucherSchema = z.strictObject({
  pin: pinSchema,
  posTransactionId: text(100, 1).describe("The POS terminal's transaction id: a replay with the same id activates nothing more"),
});

/** `POST /v1/vouchers/balance` body (public). */
export const voucherBalanceSchema = z.strictObject({ pin: pinSchema });

/** `POST /v1/checkouts/{id}/tenders` body. */
export const applyTenderSchema = z.strictObject({ pin: pinSchema });
