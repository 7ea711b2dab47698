import {
  assertAllowsMovement,
  balanceHoldPosting,
  balanceHoldReleasePosting,
  type CheckoutId,
  checkSpend,
  type Clock,
  creditRefundToBalance,
  type FiatCurrency,
  InsufficientShopperBalanceError,
  nextId,
  NotFoundError,
  type RandomSource,
  type RefundCreditSource,
  type ShopperAccount,
  type ShopperAccountId,
  type ShopperAccountStatus,
  shopperBalance,
  shopperBalanceFromLedger,
  shopperBalanceMessage,
  spendableMinor,
  type StoreId,
  TenderNotApplicableError,
  TopUpNotPayableFromBalanceError,
} from '@coinstile/core';
import { type Kysely, sql } from 'kysely';
import type { TenderSource } from './checkout-tender-repository';
import type { Database } from './database';
import { appendPostings } from './ledger-repository';
import { OutboxRepository } from './outbox-repository';
import type { DB } from './schema';

/** A stored shopper account (without its access code hash). */
export interface ShopperAccountRecord extends ShopperAccount {
  readonly label: string;
  readonly topUpStoreId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface ShopperAccountRow {
  id: string;
  label: string;
  currency: string;
  credit_level_minor: string;
  status: ShopperAccountStatus;
  top_up_store_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The `shopper_accounts` columns of a `ShopperAccountRecord`. */
export const SHOPPER_ACCOUNT_COLUMNS = ['id', 'label', 'currency', 'credit_level_minor', 'status', 'top_up_store_id', 'created_at', 'updated_at'] as const;

export function shopperAccountFromRow(row: ShopperAccountRow): ShopperAccountRecord {
  return {
    id: row.id as ShopperAccountId,
    label: row.label,
    currency: row.currency as FiatCurrency,
    creditLevelMinor: BigInt(row.credit_level_minor),
    status: row.status,
    topUpStoreId: row.top_up_store_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The account's signed balance (minor units of its currency), derived from the ledger. */
export async function shopperBalanceMinor(executor: Kysely<DB>, accountId: ShopperAccountId, currency: FiatCurrency): Promise<bigint> {
  const row = await executor
    .selectFrom('ledger_entries')
    .select(sql<string>`coalesce(sum(amount), 0)::text`.as('total'))
    .where('account', '=', shopperBalance(accountId))
    .where('currency', '=', currency)
    .executeTakeFirstOrThrow();
  return shopperBalanceFromLedger(BigInt(row.total));
}

/**
 * Locks the account row (FOR UPDATE) for the rest of the transaction and returns it with its current
 * balance. Every spend takes this lock before it reads the balance, so concurrent spends of one account
 * run one after the other and each sees the holds booked before it: none can overdraw past the credit level.
 */
export async function lockShopperAccount(trx: Kysely<DB>, accountId: ShopperAccountId): Promise<{ account: ShopperAccountRecord; balanceMinor: bigint }> {
  const row = await trx.selectFrom('shopper_accounts').select(SHOPPER_ACCOUNT_COLUMNS).where('id', '=', accountId).forUpdate().executeTakeFirst();
  if (!row) throw new NotFoundError('shopper_account', accountId);
  const account = shopperAccountFromRow(row);
  return { account, balanceMinor: await shopperBalanceMinor(trx, accountId, account.currency) };
}

/**
 * Shopper balances as a checkout tender source (`balance`): applying one locks the account and offers its
 * spendable amount (balance plus the credit level); taking books a hold (balance → pending spends, down to
 * −credit level at most) with `shopper.balance_debited`; giving back books the reverse with
 * `shopper.balance_credited` (reason `spend_returned`). The tendered settlement posting later moves the
 * pending spend to the store. Exactly once: each runs in the transaction that writes the tender's row.
 */
export function shopperBalanceTenderSource(deps: { readonly db: Database; readonly clock: Clock; readonly random: RandomSource }): TenderSource {
  const outbox = new OutboxRepository(deps.db);
  const meta = (what: string, accountId: string, checkoutId: CheckoutId | undefined, now: Date) => {
    const postingId = nextId('lp', deps.clock, deps.random);
    return { postingId, dedupeKey: `${what}:${accountId}:${postingId}`, occurredAt: now, ...(checkoutId !== undefined ? { checkoutId } : {}) };
  };
  return {
    kind: 'balance',
    async lock(trx, sourceId, checkout, now) {
      const target = await trx.selectFrom('checkouts').select(['purpose', 'shopper_account_id']).where('id', '=', checkout.id).executeTakeFirst();
      // A top-up is paid in crypto only: its balance is what it credits, so the balance cannot pay it.
      if (target?.purpose === 'top_up') throw new TopUpNotPayableFromBalanceError(checkout.id);
      const { account, balanceMinor } = await lockShopperAccount(trx, sourceId as ShopperAccountId);
      assertAllowsMovement(account, 'spend');
      if (account.currency !== checkout.currency) throw new TenderNotApplicableError(checkout.id, 'currency_mismatch');
      const availableMinor = spendableMinor(balanceMinor, account.creditLevelMinor);
      if (availableMinor === 0n) throw new InsufficientShopperBalanceError(account.id, checkout.priceMinor, 0n, account.currency);
      return {
        availableMinor,
        async take(amountMinor) {
          checkSpend(account, balanceMinor, amountMinor, checkout.currency);
          const m = meta('shopper_balance_hold', account.id, checkout.id, now);
          await appendPostings(trx, [balanceHoldPosting({ meta: m, accountId: account.id, currency: account.currency, amountMinor })]);
          await outbox.append(trx, [
            shopperBalanceMessage({ accountId: account.id, reason: 'checkout_spend', amountMinor, currency: account.currency, checkoutId: checkout.id, storeId: checkout.storeId, postingId: m.postingId, occurredAt: now, dedupeKey: m.dedupeKey }),
          ]);
        },
      };
    },
    async giveBack(trx, sourceId, amountMinor, now, checkout) {
      const { account } = await lockShopperAccount(trx, sourceId as ShopperAccountId);
      const m = meta('shopper_balance_hold_release', account.id, checkout.id, now);
      await appendPostings(trx, [balanceHoldReleasePosting({ meta: m, accountId: account.id, currency: account.currency, amountMinor })]);
      await outbox.append(trx, [
        shopperBalanceMessage({ accountId: account.id, reason: 'spend_returned', amountMinor, currency: account.currency, checkoutId: checkout.id, storeId: checkout.storeId, postingId: m.postingId, occurredAt: now, dedupeKey: m.dedupeKey }),
      ]);
    },
  };
}

export interface RefundToShopperBalanceInput {
  readonly accountId: ShopperAccountId;
  /** The refunding store (with `payable` or `escrow`, the store owes that much less). */
  readonly storeId: StoreId;
  readonly checkoutId: CheckoutId | null;
  readonly currency: FiatCurrency;
  readonly amountMinor: bigint;
  /** `refunds_payable` for an escrow refund whose `refund_owed` posting already charged the store. */
  readonly from: RefundCreditSource;
  /** Names the refund (e.g. `shopper_refund:rf_…`): a retried call books it once. */
  readonly dedupeKey: string;
}

/**
 * The refund flow's port into shopper balances, inside the caller's transaction: locks the account, checks
 * it may be credited in `currency` (core's `creditRefundToBalance`), books the posting (store payable,
 * escrow or the mall's refunds payable → shopper balance) and `shopper.balance_credited` (reason `refund`). A dedupe key already booked
 * books nothing (`booked: false`).
 */
export async function creditRefundToShopperBalance(
  trx: Kysely<DB>,
  deps: { readonly db: Database; readonly clock: Clock; readonly random: RandomSource },
  input: RefundToShopperBalanceInput,
): Promise<{ readonly balanceAfterMinor: bigint; readonly booked: boolean }> {
  const { account, balanceMinor } = await lockShopperAccount(trx, input.accountId);
  // A retry of a booked refund is a no-op, even if the account has since been closed.
  const already = await trx.selectFrom('ledger_postings').select('id').where('dedupe_key', '=', input.dedupeKey).executeTakeFirst();
  if (already !== undefined) return { balanceAfterMinor: balanceMinor, booked: false };
  const meta = {
    postingId: nextId('lp', deps.clock, deps.random),
    dedupeKey: input.dedupeKey,
    occurredAt: deps.clock.now(),
    storeId: input.storeId,
    ...(input.checkoutId !== null ? { checkoutId: input.checkoutId } : {}),
  };
  const refund = creditRefundToBalance(account, balanceMinor, { meta, storeId: input.storeId, currency: input.currency, amountMinor: input.amountMinor, from: input.from, checkoutId: input.checkoutId });
  const booked = await appendPostings(trx, [refund.posting]);
  if (booked.size === 0) return { balanceAfterMinor: balanceMinor, booked: false };
  await new OutboxRepository(deps.db).append(trx, [refund.message]);
  return { balanceAfterMinor: refund.balanceAfterMinor, booked: true };
}
