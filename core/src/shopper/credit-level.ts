import { MAX_FIAT_MINOR } from '../money/amount';
import type { ShopperAccount } from './shopper-account';
import { assertAllowsMovement } from './shopper-account';
import { InsufficientShopperBalanceError, InvalidCreditLevelError, ShopperCurrencyMismatchError } from './shopper-errors';
import type { FiatCurrency } from '../money/fiat-currency';

/*
 * The balance is signed, in the account's fiat minor units: positive is money the mall owes the shopper,
 * negative is an overdraft the shopper owes the mall. The credit level is the overdraft allowed: the
 * balance may reach −creditLevel, never go below it.
 */

/** The largest credit level an operator may set (one trillion major units of a 2-decimal currency). */
export const MAX_CREDIT_LEVEL_MINOR = 100_000_000_000_000n;

/** Validates an operator's credit level: 0 ≤ level ≤ MAX_CREDIT_LEVEL_MINOR. */
export function checkCreditLevel(creditLevelMinor: bigint): bigint {
  if (creditLevelMinor < 0n) throw new InvalidCreditLevelError('negative', MAX_CREDIT_LEVEL_MINOR);
  if (creditLevelMinor > MAX_CREDIT_LEVEL_MINOR) throw new InvalidCreditLevelError('too_large', MAX_CREDIT_LEVEL_MINOR);
  return creditLevelMinor;
}

/** What the shopper can still spend: the balance plus the allowed overdraft (0 when already past it, after a lowered level). */
export function spendableMinor(balanceMinor: bigint, creditLevelMinor: bigint): bigint {
  const spendable = balanceMinor + creditLevelMinor;
  return spendable > 0n ? spendable : 0n;
}

/** The overdraft in use: what the shopper owes the mall (0 when the balance is not negative). */
export function overdraftMinor(balanceMinor: bigint): bigint {
  return balanceMinor < 0n ? -balanceMinor : 0n;
}

/**
 * Checks a spend of `amountMinor` against the account's current balance: the account must allow spends,
 * be in `currency`, and stay at or above −creditLevel afterwards. Returns the balance after the spend.
 * Callers hold a lock on the account while the balance they pass is current (no concurrent spend).
 */
export function checkSpend(account: ShopperAccount, balanceMinor: bigint, amountMinor: bigint, currency: FiatCurrency): bigint {
  if (amountMinor <= 0n || amountMinor > MAX_FIAT_MINOR) throw new RangeError(`spend amount out of range: ${amountMinor}`);
  assertAllowsMovement(account, 'spend');
  if (currency !== account.currency) throw new ShopperCurrencyMismatchError(account.id, account.currency, currency);
  const spendable = spendableMinor(balanceMinor, account.creditLevelMinor);
  if (amountMinor > spendable) throw new InsufficientShopperBalanceError(account.id, amountMinor, spendable, account.currency);
  return balanceMinor - amountMinor;
}

/** Checks a credit (over-payment, refund, top-up) of `amountMinor` on the account. Returns the balance after it. */
export function checkCredit(account: ShopperAccount, balanceMinor: bigint, amountMinor: bigint, currency: FiatCurrency): bigint {
  if (amountMinor <= 0n || amountMinor > MAX_FIAT_MINOR) throw new RangeError(`credit amount out of range: ${amountMinor}`);
  assertAllowsMovement(account, 'credit');
  if (currency !== account.currency) throw new ShopperCurrencyMismatchError(account.id, account.currency, currency);
  return balanceMinor + amountMinor;
}
