import {
  type CheckoutId,
  type Clock,
  type CryptoAsset,
  type FiatCurrency,
  fiatValueOfCrypto,
  nextId,
  type OutboxMessage,
  overpaymentCreditPosting,
  type Posting,
  type RandomSource,
  type ShopperAccountId,
  type StoreId,
  shopperBalanceMessage,
  topUpPosting,
} from '@coinstile/core';
import type { DB } from '@coinstile/platform';
import type { Kysely } from 'kysely';

/** The columns of a settled checkout the shopper credits need. */
export interface ShopperCreditCandidate {
  readonly id: string;
  readonly store_id: string;
  readonly purpose: 'sale' | 'top_up';
  readonly shopper_account_id: string | null;
  readonly asset: string | null;
  readonly rate: string | null;
  readonly currency: string;
  readonly amount_due_base: string | null;
  readonly amount_paid_base: string;
}

export interface ShopperCredits {
  readonly postings: Posting[];
  readonly messages: OutboxMessage[];
  /** Top-up checkouts credited now (they are never released to a store). */
  readonly toppedUp: ReadonlySet<string>;
}

/**
 * Inside the settlement transaction, for settled checkouts:
 * - a top-up (`purpose = 'top_up'`): one `shopper_top_ups` row (its primary key makes the credit happen
 *   once), the top-up posting (the crypto received, valued at the checkout's rate rounded down, credited to
 *   the balance; an overdraft is repaid first) and `shopper.balance_credited`; nothing is released;
 * - a sale linked to an account (`shopper_account_id`), released now, paid over its amount due: the
 *   surplus, valued at the checkout's rate rounded down, leaves the FX position for the balance
 *   (`shopper.balance_credited`, reason `over_payment`), once (its posting's dedupe key); unless the
 *   account was closed meanwhile: then the surplus stays in the FX position, as for an unlinked sale.
 *   A top-up is credited whatever the account's status: that money was paid in for the shopper.
 * `releasedNow` names the sales released in this transaction (a sale's credit goes with its release).
 */
export async function creditShopperBalances(
  trx: Kysely<DB>,
  rows: readonly ShopperCreditCandidate[],
  releasedNow: ReadonlySet<string>,
  deps: { readonly clock: Clock; readonly random: RandomSource },
  now: Date,
): Promise<ShopperCredits> {
  const postings: Posting[] = [];
  const messages: OutboxMessage[] = [];
  const meta = (dedupeKey: string, checkoutId: CheckoutId) => ({ postingId: nextId('lp', deps.clock, deps.random), dedupeKey, occurredAt: now, checkoutId });
  const credit = (row: ShopperCreditCandidate, reason: 'top_up' | 'over_payment', amountMinor: bigint, m: ReturnType<typeof meta>) =>
    messages.push(
      shopperBalanceMessage({
        accountId: row.shopper_account_id as ShopperAccountId,
        reason,
        amountMinor,
        currency: row.currency as FiatCurrency,
        checkoutId: m.checkoutId,
        storeId: row.store_id as StoreId,
        postingId: m.postingId,
        occurredAt: now,
        dedupeKey: m.dedupeKey,
      }),
    );

  const topUps = rows.filter((r) => r.purpose === 'top_up' && r.shopper_account_id !== null && r.asset !== null && r.rate !== null && BigInt(r.amount_paid_base) > 0n);
  const valued = topUps.map((r) => ({
    row: r,
    creditedMinor: fiatValueOfCrypto(BigInt(r.amount_paid_base), r.asset as CryptoAsset, r.currency as FiatCurrency, r.rate as string),
  }));
  const creditable = valued.filter((v) => v.creditedMinor > 0n);
  const inserted =
    creditable.length === 0
      ? []
      : await trx
          .insertInto('shopper_top_ups')
          .values(
            creditable.map(({ row, creditedMinor }) => ({
              checkout_id: row.id,
              account_id: row.shopper_account_id as string,
              asset: row.asset as string,
              amount_received_base: row.amount_paid_base,
              credited_minor: creditedMinor.toString(),
              currency: row.currency,
              credited_at: now,
            })),
          )
          .onConflict((oc) => oc.column('checkout_id').doNothing())
          .returning('checkout_id')
          .execute();
  const toppedUp = new Set(inserted.map((r) => r.checkout_id));
  for (const { row, creditedMinor } of creditable) {
    if (!toppedUp.has(row.id)) continue;
    const accountId = row.shopper_account_id as ShopperAccountId;
    const currency = row.currency as FiatCurrency;
    const m = meta(`shopper_top_up:${row.id}`, row.id as CheckoutId);
    postings.push(topUpPosting({ meta: m, accountId, asset: row.asset as CryptoAsset, amountReceivedBase: BigInt(row.amount_paid_base), currency, creditedMinor }));
    credit(row, 'top_up', creditedMinor, m);
  }

  const linked = rows.filter((r) => r.purpose === 'sale' && r.shopper_account_id !== null && releasedNow.has(r.id)).map((r) => r.shopper_account_id as string);
  const closed =
    linked.length === 0
      ? new Set<string>()
      : new Set((await trx.selectFrom('shopper_accounts').select('id').where('id', 'in', linked).where('status', '=', 'closed').execute()).map((a) => a.id));
  for (const r of rows) {
    if (r.purpose !== 'sale' || r.shopper_account_id === null || !releasedNow.has(r.id) || r.asset === null || r.rate === null || r.amount_due_base === null) continue;
    if (closed.has(r.shopper_account_id)) continue;
    const surplusBase = BigInt(r.amount_paid_base) - BigInt(r.amount_due_base);
    if (surplusBase <= 0n) continue;
    const currency = r.currency as FiatCurrency;
    const surplusMinor = fiatValueOfCrypto(surplusBase, r.asset as CryptoAsset, currency, r.rate);
    if (surplusMinor <= 0n) continue;
    const accountId = r.shopper_account_id as ShopperAccountId;
    const m = meta(`shopper_overpayment:${r.id}`, r.id as CheckoutId);
    postings.push(overpaymentCreditPosting({ meta: m, accountId, currency, amountMinor: surplusMinor }));
    credit(r, 'over_payment', surplusMinor, m);
  }
  return { postings, messages, toppedUp };
}
