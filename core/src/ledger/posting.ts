import type { CheckoutId, LedgerPostingId, PaymentId, PayoutId, StoreId } from '../ids/id';
import type { AssetCode } from '../money/asset-code';

/** One line of a posting, in the currency's smallest unit: positive = debit, negative = credit. */
export interface LedgerEntry {
  readonly account: string;
  readonly currency: AssetCode;
  readonly amount: bigint;
}

/** Every kind of posting the ledger books; the database's kind check allows these (migrations add theirs). */
export const POSTING_KINDS = [
  'settlement',
  'escrow_release',
  'payout_scheduled',
  'payout_paid',
  'payout_failed',
  'payment_reversal',
  'refund_owed',
  'refund_sent',
  'shopper_overpayment_credit',
  'shopper_top_up',
  'shopper_balance_hold',
  'shopper_balance_hold_release',
  'shopper_refund_credit',
  'voucher_activation',
  'voucher_breakage',
] as const;

export type PostingKind = (typeof POSTING_KINDS)[number];

export interface PostingMeta {
  readonly postingId: LedgerPostingId;
  /**
   * Names the business fact the posting records (e.g. `settlement:co_…`): the ledger stores each
   * key once, so a retried job can never book the same fact twice.
   */
  readonly dedupeKey: string;
  readonly occurredAt: Date;
  readonly storeId?: StoreId;
  readonly checkoutId?: CheckoutId;
  readonly paymentId?: PaymentId;
  readonly payoutId?: PayoutId;
  readonly memo?: string;
}

declare const postingBrand: unique symbol;

/** A balanced set of ledger entries. Only `buildPosting` makes one, so every Posting balances. */
export interface Posting {
  readonly kind: PostingKind;
  readonly entries: readonly LedgerEntry[];
  readonly meta: PostingMeta;
  readonly [postingBrand]: true;
}

export type InvalidPostingReason = 'empty' | 'zero_entry' | 'bad_amount' | 'bad_account' | 'bad_dedupe_key' | 'unbalanced';

/**
 * A posting that would corrupt the ledger. Always a bug in the code building it, never bad user
 * input, so it is not a `DomainError`: the API answers it as a 500 `internal_error`.
 */
export class InvalidPostingError extends Error {
  constructor(
    readonly reason: InvalidPostingReason,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The entries do not sum to zero in every currency. */
export class UnbalancedPostingError extends InvalidPostingError {
  constructor(readonly imbalances: ReadonlyMap<AssetCode, bigint>) {
    super(
      'unbalanced',
      `Unbalanced posting: ${[...imbalances].map(([currency, sum]) => `${currency} ${sum > 0n ? '+' : ''}${sum}`).join(', ')}`,
    );
  }
}

const ACCOUNT = /^[a-z][a-z_]*(?::[A-Za-z0-9_]+)+$/;

/**
 * The only way to make a `Posting`: refuses an empty posting, zero-amount entries, malformed account
 * names (`segment:segment…`), and entries that do not sum to zero per currency (double entry). Copies
 * the entries, so later changes to the input cannot unbalance it.
 */
export function buildPosting(kind: PostingKind, entries: readonly LedgerEntry[], meta: PostingMeta): Posting {
  if (entries.length === 0) throw new InvalidPostingError('empty', `Empty ${kind} posting`);
  if (meta.dedupeKey.length === 0 || meta.dedupeKey.length > 200) {
    throw new InvalidPostingError('bad_dedupe_key', `Posting dedupe key must be 1 to 200 characters`);
  }
  const sums = new Map<AssetCode, bigint>();
  const copied: LedgerEntry[] = [];
  for (const entry of entries) {
    if (entry.amount === 0n) throw new InvalidPostingError('zero_entry', `Zero entry on ${entry.account}`);
    if (entry.account.length > 200 || !ACCOUNT.test(entry.account)) {
      throw new InvalidPostingError('bad_account', `Malformed account name ${JSON.stringify(entry.account.slice(0, 200))}`);
    }
    sums.set(entry.currency, (sums.get(entry.currency) ?? 0n) + entry.amount);
    copied.push({ account: entry.account, currency: entry.currency, amount: entry.amount });
  }
  const imbalances = new Map([...sums].filter(([, sum]) => sum !== 0n));
  if (imbalances.size > 0) throw new UnbalancedPostingError(imbalances);
  return { kind, entries: copied, meta: { ...meta } } as unknown as Posting;
}
