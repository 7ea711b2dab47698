import type { ShopperAccountId } from './shopper-account';

/*
 * The shopper accounts' share of the chart of accounts (see ledger/accounts.ts for the sign convention).
 */

/**
 * What the mall owes the shopper, in the account's fiat: a liability, so a credit (negative entry)
 * raises the shopper's balance. The shopper's balance is the negated account balance; a positive
 * account balance is an overdraft the shopper owes the mall.
 */
export const shopperBalance = (accountId: ShopperAccountId): string => `shopper:${accountId}:balance`;

/**
 * Balance spent on checkouts that have not settled yet: held out of the shopper's balance when the
 * tender is applied (so concurrent spends see it), and either passed on when the checkout settles or
 * returned when it expires or is cancelled.
 */
export const shopperSpendsPending = (): string => 'mall:shopper_spends_pending';

/** The shopper's balance (signed, minor units) from the ledger balance of `shopperBalance(id)`. */
export function shopperBalanceFromLedger(accountLedgerBalance: bigint): bigint {
  return -accountLedgerBalance;
}
