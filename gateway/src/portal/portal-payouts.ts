import { type FiatCurrency, isFiatCurrency, type StoreId, ValidationError } from '@coinstile/core';
import type { Database, PayoutStatusValue } from '@coinstile/platform';
import { batchKysely } from '@coinstile/merchant-payouts';

export const PAYOUT_STATUSES: readonly PayoutStatusValue[] = ['reserved', 'scheduled', 'sent', 'paid', 'failed', 'returned', 'refunded'];

/** One payout with the checkout (order) it covers. */
export interface StorePayout {
  readonly id: string;
  readonly status: PayoutStatusValue;
  readonly amountMinor: bigint;
  readonly feeMinor: bigint;
  readonly currency: FiatCurrency;
  readonly checkoutId: string;
  readonly orderId: string;
  readonly batchId: string | null;
  readonly providerReference: string | null;
  readonly failureReason: string | null;
  readonly dueAt: Date | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
  readonly paidAt: Date | null;
}

/** A calendar month in UTC, `YYYY-MM`. */
export interface StatementMonth {
  readonly text: string;
  readonly from: Date;
  readonly to: Date;
}

/** `YYYY-MM` → its UTC bounds; anything else is a 400 `invalid_month`. */
export function parseStatementMonth(text: unknown): StatementMonth {
  const match = typeof text === 'string' ? /^(\d{4})-(0[1-9]|1[0-2])$/.exec(text) : null;
  if (match === null) throw new ValidationError('month must be YYYY-MM', { field: 'month' }, 'invalid_month');
  const year = Number(match[1]);
  const month = Number(match[2]);
  return { text: text as string, from: new Date(Date.UTC(year, month - 1, 1)), to: new Date(Date.UTC(year, month, 1)) };
}

export function monthOf(date: Date): string {
  return date.toISOString().slice(0, 7);
}

/**
 * The store's payouts, newest first: every one when `status` is absent, else that status; within
 * `month` (by creation) when given.
 */
export async function listStorePayouts(db: Database, storeId: StoreId, filter: { status?: PayoutStatusValue; month?: StatementMonth; limit: number }): Promise<StorePayout[]> {
  let q = batchKysely(db)
    .selectFrom('payouts')
    .innerJoin('checkouts', 'checkouts.id', 'payouts.checkout_id')
    .select([
      'payouts.id', 'payouts.status', 'payouts.amount_minor', 'payouts.fee_minor', 'payouts.currency', 'payouts.checkout_id', 'checkouts.order_id',
      'payouts.batch_id', 'payouts.provider_reference', 'payouts.failure_reason', 'payouts.due_at', 'payouts.created_at', 'payouts.sent_at', 'payouts.paid_at',
    ])
    .where('payouts.store_id', '=', storeId);
  if (filter.status !== undefined) q = q.where('payouts.status', '=', filter.status);
  if (filter.month !== undefined) q = q.where('payouts.created_at', '>=', filter.month.from).where('payouts.created_at', '<', filter.month.to);
  const rows = await q.orderBy('payouts.created_at', 'desc').orderBy('payouts.id', 'desc').limit(filter.limit).execute();
  const at = (d: Date | string | null) => (d === null ? null : new Date(d));
  return rows.flatMap((r) =>
    isFiatCurrency(r.currency)
      ? [
          {
            id: r.id,
            status: r.status,
            amountMinor: BigInt(r.amount_minor),
            feeMinor: BigInt(r.fee_minor),
            currency: r.currency,
            checkoutId: r.checkout_id,
            orderId: r.order_id,
            batchId: r.batch_id,
            providerReference: r.provider_reference,
            failureReason: r.failure_reason,
            dueAt: at(r.due_at),
            createdAt: new Date(r.created_at),
            sentAt: at(r.sent_at),
            paidAt: at(r.paid_at),
          },
        ]
      : [],
  );
}

/** Totals of a statement per currency and status. */
export interface StatementTotal {
  readonly currency: FiatCurrency;
  readonly status: PayoutStatusValue;
  readonly count: number;
  readonly amountMinor: bigint;
  readonly feeMinor: bigint;
}

export function statementTotals(payouts: readonly StorePayout[]): StatementTotal[] {
  const totals = new Map<string, { currency: FiatCurrency; status: PayoutStatusValue; count: number; amountMinor: bigint; feeMinor: bigint }>();
  for (const p of payouts) {
    const key = `${p.currency}:${p.status}`;
    const t = totals.get(key) ?? { currency: p.currency, status: p.status, count: 0, amountMinor: 0n, feeMinor: 0n };
    t.count += 1;
    t.amountMinor += p.amountMinor;
    t.feeMinor += p.feeMinor;
    totals.set(key, t);
  }
  return [...totals.values()].sort((a, b) => (a.currency === b.currency ? PAYOUT_STATUSES.indexOf(a.status) - PAYOUT_STATUSES.indexOf(b.status) : a.currency < b.currency ? -1 : 1));
}
