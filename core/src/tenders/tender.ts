import type { CheckoutId } from '../ids/id';
import type { FiatCurrency } from '../money/fiat-currency';

/**
 * What can pay part of a checkout's fiat price besides crypto:
 * - `voucher`: a prepaid voucher's balance (source: the voucher id, `vch_…`);
 * - `balance`: a shopper account's balance (source: the account id, `acct_…`).
 */
export type TenderKind = 'voucher' | 'balance';

export const TENDER_KINDS: readonly TenderKind[] = ['voucher', 'balance'];

/**
 * - `held`: taken from its source when applied; counts toward the checkout while it is open;
 * - `captured`: the checkout settled: the amount pays the store (booked with the settlement);
 * - `released`: the checkout expired, was cancelled or became invalid: the amount went back to its source.
 */
export type TenderStatus = 'held' | 'captured' | 'released';

export const TENDER_STATUSES: readonly TenderStatus[] = ['held', 'captured', 'released'];

/** One amount of a checkout's price paid by a non-crypto source, in the checkout's fiat. */
export interface Tender {
  readonly checkoutId: CheckoutId;
  readonly kind: TenderKind;
  /** The voucher or account the amount comes from. */
  readonly sourceId: string;
  readonly amountMinor: bigint;
  readonly currency: FiatCurrency;
  readonly status: TenderStatus;
}

/** True for tenders that pay the checkout: `held` and `captured` (a `released` one gave its money back). */
export function isCountedTender(tender: Pick<Tender, 'status'>): boolean {
  switch (tender.status) {
    case 'held':
    case 'captured':
      return true;
    case 'released':
      return false;
  }
}
