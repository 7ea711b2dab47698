import { type FiatCurrency, formatAmount, type Voucher, voucherStatusAt } from '@coinstile/core';
import type { VoucherBatchesTable } from '@coinstile/platform';
import type { Selectable } from 'kysely';

export interface VoucherBatchView {
  readonly id: string;
  readonly object: 'voucher_batch';
  readonly label: string;
  readonly count: number;
  readonly faceValue: string;
  readonly currency: string;
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly voidedAt: string | null;
  /** Vouchers per status (expiry as of now). */
  readonly statusCounts: Readonly<Record<string, number>>;
  /** True while the one-time PIN CSV can still be downloaded. */
  readonly pinsDownloadable: boolean;
}

export function voucherBatchView(row: Selectable<VoucherBatchesTable>, statusCounts: Readonly<Record<string, number>>, now: Date): VoucherBatchView {
  const currency = row.currency as FiatCurrency;
  return {
    id: row.id,
    object: 'voucher_batch',
    label: row.label,
    count: row.voucher_count,
    faceValue: formatAmount(BigInt(row.face_value_minor), currency),
    currency,
    expiresAt: row.expires_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    voidedAt: row.voided_at?.toISOString() ?? null,
    statusCounts,
    pinsDownloadable: row.pins_csv_ciphertext !== null && row.pins_download_expires_at !== null && now < row.pins_download_expires_at,
  };
}

/** A voucher as its holder or the activating POS sees it: never the PIN, only its last four digits. */
export interface VoucherView {
  readonly id: string;
  readonly object: 'voucher';
  readonly pinLast4: string;
  readonly status: string;
  readonly faceValue: string;
  readonly balance: string;
  readonly currency: string;
  readonly expiresAt: string;
  readonly activatedAt: string | null;
}

export function voucherView(voucher: Voucher, pinLast4: string, now: Date): VoucherView {
  return {
    id: voucher.id,
    object: 'voucher',
    pinLast4,
    status: voucherStatusAt(voucher, now),
    faceValue: formatAmount(voucher.faceValueMinor, voucher.currency),
    balance: formatAmount(voucher.balanceMinor, voucher.currency),
    currency: voucher.currency,
    expiresAt: voucher.expiresAt.toISOString(),
    activatedAt: voucher.activatedAt?.toISOString() ?? null,
  };
}
