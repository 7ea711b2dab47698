import { assertNever } from '../errors/assert-never';
import type { Id } from '../ids/id';
import type { FiatCurrency } from '../money/fiat-currency';
import { ShopperAccountNotUsableError } from './shopper-errors';

/** A shopper account's id (`acct_…`). */
export type ShopperAccountId = Id<'acct'>;

/**
 * `active`: credits and spends; `frozen` by the operator: credits still land (over-payments, refunds,
 * top-ups repay any overdraft) but nothing is spent; `closed`: nothing moves any more.
 */
export type ShopperAccountStatus = 'active' | 'frozen' | 'closed';
export const SHOPPER_ACCOUNT_STATUSES: readonly ShopperAccountStatus[] = ['active', 'frozen', 'closed'];

/** What the domain needs to know of an account to move money on it. */
export interface ShopperAccount {
  readonly id: ShopperAccountId;
  /** The balance's fiat currency: every posting on the account is in it. */
  readonly currency: FiatCurrency;
  /** The overdraft the operator allows: the balance may go down to −creditLevelMinor, never below. */
  readonly creditLevelMinor: bigint;
  readonly status: ShopperAccountStatus;
}

export type ShopperAccountMovement = 'credit' | 'spend';

/** True when the account's status lets `movement` happen. */
export function allowsMovement(status: ShopperAccountStatus, movement: ShopperAccountMovement): boolean {
  switch (status) {
    case 'active':
      return true;
    case 'frozen':
      return movement === 'credit';
    case 'closed':
      return false;
  }
  return assertNever(status, 'shopper account status');
}

/** Throws `ShopperAccountNotUsableError` (422) when the account's status forbids `movement`. */
export function assertAllowsMovement(account: Pick<ShopperAccount, 'id' | 'status'>, movement: ShopperAccountMovement): void {
  if (!allowsMovement(account.status, movement)) throw new ShopperAccountNotUsableError(account.id, account.status, movement);
}
