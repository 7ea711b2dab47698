import { randomBytes } from 'node:crypto';
import {
  applyVoucherCommand,
  ID_RANDOM_BYTES,
  makeId,
  voucherBreakagePosting,
  type FiatCurrency,
  type StoreId,
  TenderNotApplicableError,
  type Voucher,
  type VoucherBatchId,
  type VoucherCommand,
  type VoucherId,
  VoucherRefusedError,
  voucherStatusAt,
} from '@coinstile/core';
import type { Kysely, Selectable } from 'kysely';
import type { TenderSource } from './checkout-tender-repository';
import type { Database } from './database';
import { appendPostings } from './ledger-repository';
import type { DB, VouchersTable } from './schema';

/** Core's voucher of a `vouchers` row. */
export function voucherFromRow(row: Selectable<VouchersTable>): Voucher {
  return {
    id: row.id as VoucherId,
    batchId: row.batch_id as VoucherBatchId,
    status: row.status,
    currency: row.currency as FiatCurrency,
    faceValueMinor: BigInt(row.face_value_minor),
    balanceMinor: BigInt(row.balance_minor),
    expiresAt: row.expires_at,
    activatedByStoreId: row.activated_by_store_id as StoreId | null,
    posTransactionId: row.pos_transaction_id,
    activatedAt: row.activated_at,
  };
}

/** Locks a voucher row (`SELECT … FOR UPDATE`) inside `trx`; undefined when there is none. */
export async function lockVoucher(trx: Kysely<DB>, id: string): Promise<Voucher | undefined> {
  const row = await trx.selectFrom('vouchers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return row === undefined ? undefined : voucherFromRow(row);
}

/** Applies `command` to a voucher locked in `trx` (core's rules) and writes the result; returns it. */
export async function changeVoucher(trx: Kysely<DB>, voucher: Voucher, command: VoucherCommand): Promise<Voucher> {
  const next = applyVoucherCommand(voucher, command);
  if (next === voucher) return voucher;
  await trx
    .updateTable('vouchers')
    .set({
      status: next.status,
      balance_minor: next.balanceMinor.toString(),
      activated_by_store_id: next.activatedByStoreId,
      pos_transaction_id: next.posTransactionId,
      activated_at: next.activatedAt,
      updated_at: command.at,
    })
    .where('id', '=', voucher.id)
    .execute();
  return next;
}

/**
 * Vouchers as a checkout tender source: the voucher row is locked for the rest of the apply transaction,
 * so of concurrent checkouts spending one voucher each sees the balance the previous one left.
 */
export const voucherTenderSource: TenderSource = {
  kind: 'voucher',
  async lock(trx, sourceId, checkout, now) {
    const voucher = await lockVoucher(trx, sourceId);
    if (voucher === undefined) throw new VoucherRefusedError(sourceId, 'not_activated');
    const status = voucherStatusAt(voucher, now);
    if (status !== 'activated') {
      switch (status) {
        case 'issued':
          throw new VoucherRefusedError(voucher.id, 'not_activated');
        case 'redeemed':
          throw new VoucherRefusedError(voucher.id, 'exhausted');
        case 'expired':
          throw new VoucherRefusedError(voucher.id, 'expired');
        case 'voided':
          throw new VoucherRefusedError(voucher.id, 'voided');
      }
    }
    if (voucher.currency !== checkout.currency) throw new TenderNotApplicableError(checkout.id, 'currency_mismatch');
    return {
      availableMinor: voucher.balanceMinor,
      take: async (amountMinor) => {
        await changeVoucher(trx, voucher, { type: 'redeem', amountMinor, at: now });
      },
    };
  },
  async giveBack(trx, sourceId, amountMinor, now) {
    const voucher = await lockVoucher(trx, sourceId);
    if (voucher === undefined) throw new Error(`tender of voucher ${sourceId}, which does not exist`);
    await changeVoucher(trx, voucher, { type: 'give_back', amountMinor, at: now });
    // Its balance was written off when it expired or was voided: what comes back is written off too.
    if (voucher.status === 'expired' || voucher.status === 'voided') await bookVoucherBreakage(trx, voucher, amountMinor, 'returned', now);
  },
};

/**
 * Books `amountMinor` of `voucher` as breakage (no longer owed to any holder): when it expires or is voided
 * with a balance (once each: the dedupe key names the voucher and the reason), or when a held tender returns
 * to it afterwards (each return its own fact).
 */
export async function bookVoucherBreakage(trx: Kysely<DB>, voucher: Voucher, amountMinor: bigint, reason: 'expired' | 'voided' | 'returned', now: Date): Promise<void> {
  if (amountMinor <= 0n) return;
  const postingId = makeId('lp', now.getTime(), randomBytes(ID_RANDOM_BYTES));
  await appendPostings(trx, [
    voucherBreakagePosting({
      meta: {
        postingId,
        dedupeKey: reason === 'returned' ? `voucher_breakage:${voucher.id}:returned:${postingId}` : `voucher_breakage:${voucher.id}:${reason}`,
        occurredAt: now,
        memo: `voucher ${voucher.id} ${reason}`,
      },
      currency: voucher.currency,
      amountMinor,
    }),
  ]);
}

/**
 * Marks vouchers past `expiresAt` as `expired` (at most `limit` per call, rows another process holds are
 * skipped) and writes off the balance of each that was activated. Returns how many it expired.
 */
export async function expireDueVouchers(db: Database, now: Date, limit = 500): Promise<number> {
  return db.transaction(async (trx) => {
    const rows = await trx
      .selectFrom('vouchers')
      .selectAll()
      .where('status', 'in', ['issued', 'activated'])
      .where('expires_at', '<=', now)
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    for (const row of rows) {
      const voucher = voucherFromRow(row);
      await changeVoucher(trx, voucher, { type: 'expire', at: now });
      if (voucher.status === 'activated') await bookVoucherBreakage(trx, voucher, voucher.balanceMinor, 'expired', now);
    }
    return rows.length;
  });
}
