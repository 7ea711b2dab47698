import { type FiatCurrency, formatAmount } from '@coinstile/core';
import type { PayoutStatusValue } from '@coinstile/platform';

/** A payout as the API shows it: fiat amounts as decimal strings in the payout currency's major unit. */
export interface PayoutView {
  readonly id: string;
  readonly storeId: string;
  readonly checkoutId: string;
  readonly status: PayoutStatusValue;
  /** What the store receives, net of the mall's fee. */
  readonly amount: string;
  /** The mall's fee, already deducted from `amount`. */
  readonly fee: string;
  readonly currency: string;
  /** The payout provider (`bank_file`, `http_api`, `manual`) once batched. */
  readonly provider: string | null;
  readonly providerReference: string | null;
  readonly failureReason: string | null;
  /** When it may be handed to a provider; null while held in escrow or below the store's threshold. */
  readonly dueAt: string | null;
  readonly createdAt: string;
  readonly sentAt: string | null;
  readonly paidAt: string | null;
  readonly failedAt: string | null;
  readonly returnedAt: string | null;
}

/** The columns a `PayoutView` is made of. */
export interface PayoutRow {
  readonly id: string;
  readonly store_id: string;
  readonly checkout_id: string;
  readonly status: PayoutStatusValue;
  readonly amount_minor: string | bigint;
  readonly fee_minor: string | bigint;
  readonly currency: string;
  readonly provider: string | null;
  readonly provider_reference: string | null;
  readonly failure_reason: string | null;
  readonly due_at: Date | null;
  readonly created_at: Date;
  readonly sent_at: Date | null;
  readonly paid_at: Date | null;
  readonly failed_at: Date | null;
  readonly returned_at: Date | null;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function payoutView(row: PayoutRow): PayoutView {
  const currency = row.currency as FiatCurrency;
  return {
    id: row.id,
    storeId: row.store_id,
    checkoutId: row.checkout_id,
    status: row.status,
    amount: formatAmount(BigInt(row.amount_minor), currency),
    fee: formatAmount(BigInt(row.fee_minor), currency),
    currency: row.currency,
    provider: row.provider,
    providerReference: row.provider_reference,
    failureReason: row.failure_reason,
    dueAt: iso(row.due_at),
    createdAt: row.created_at.toISOString(),
    sentAt: iso(row.sent_at),
    paidAt: iso(row.paid_at),
    failedAt: iso(row.failed_at),
    returnedAt: iso(row.returned_at),
  };
}
