import { formatAmount, isFiatCurrency } from '@coinstile/core';
import type { Database, PayoutStatusValue } from '@coinstile/platform';
import { batchKysely } from '../batching/payout-batch-schema';

export interface PayoutsCsvFilter {
  readonly storeId?: string;
  readonly status?: PayoutStatusValue;
  readonly currency?: string;
  /** created_at ≥ from, < to. */
  readonly from?: Date;
  readonly to?: Date;
}

const COLUMNS = [
  'payout_id', 'store_id', 'checkout_id', 'order_id', 'status', 'currency', 'amount', 'amount_minor', 'fee_minor', 'provider',
  'batch_id', 'attempt', 'provider_reference', 'failure_reason', 'created_at', 'sent_at', 'paid_at', 'failed_at', 'returned_at',
] as const;

/**
 * One CSV cell: RFC 4180 quoting (a cell with `"`, `,`, CR or LF is quoted, quotes doubled), and safe
 * to open in a spreadsheet: a cell starting with `=`, `+`, `-`, `@`, tab or CR (a formula to Excel,
 * LibreOffice and Sheets) gets a leading `'`, so an order id like `=HYPERLINK(…)` stays text.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows as CSV text with a header, CRLF line ends (RFC 4180). */
export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const iso = (d: Date | string | null): string => (d === null ? '' : new Date(d).toISOString());

/** The payouts matching `filter` as CSV, oldest first, amounts as decimal strings and in minor units. */
export async function exportPayoutsCsv(db: Database, filter: PayoutsCsvFilter = {}): Promise<string> {
  let q = batchKysely(db)
    .selectFrom('payouts')
    .innerJoin('checkouts', 'checkouts.id', 'payouts.checkout_id')
    .select([
      'payouts.id', 'payouts.store_id', 'payouts.checkout_id', 'checkouts.order_id', 'payouts.status', 'payouts.currency', 'payouts.amount_minor',
      'payouts.fee_minor', 'payouts.provider', 'payouts.batch_id', 'payouts.attempt', 'payouts.provider_reference', 'payouts.failure_reason',
      'payouts.created_at', 'payouts.sent_at', 'payouts.paid_at', 'payouts.failed_at', 'payouts.returned_at',
    ])
    .orderBy('payouts.created_at')
    .orderBy('payouts.id');
  if (filter.storeId !== undefined) q = q.where('payouts.store_id', '=', filter.storeId);
  if (filter.status !== undefined) q = q.where('payouts.status', '=', filter.status);
  if (filter.currency !== undefined) q = q.where('payouts.currency', '=', filter.currency);
  if (filter.from !== undefined) q = q.where('payouts.created_at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('payouts.created_at', '<', filter.to);
  const rows = await q.execute();
  return toCsv(
    COLUMNS,
    rows.map((r) => [
      r.id, r.store_id, r.checkout_id, r.order_id, r.status, r.currency,
      isFiatCurrency(r.currency) ? formatAmount(BigInt(r.amount_minor), r.currency) : '',
      r.amount_minor, r.fee_minor, r.provider ?? '', r.batch_id ?? '', String(r.attempt), r.provider_reference ?? '', r.failure_reason ?? '',
      iso(r.created_at), iso(r.sent_at), iso(r.paid_at), iso(r.failed_at), iso(r.returned_at),
    ]),
  );
}
