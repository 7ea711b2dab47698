import { DomainRuleError, ValidationError } from '../errors/api-errors';

/** The spend would take the balance below −creditLevel. 422 `insufficient_balance`. */
export class InsufficientShopperBalanceError extends DomainRuleError {
  readonly code = 'insufficient_balance';
  constructor(
    readonly accountId: string,
    readonly requestedMinor: bigint,
    readonly spendableMinor: bigint,
    readonly currency: string,
  ) {
    super(`Shopper account ${accountId} can spend ${spendableMinor} ${currency} minor units, ${requestedMinor} requested`, {
      accountId,
      currency,
      requestedMinor: requestedMinor.toString(),
      spendableMinor: spendableMinor.toString(),
    });
  }
}

/** The account's status forbids the movement (a frozen account spends nothing; a closed one moves nothing). 422. */
export class ShopperAccountNotUsableError extends DomainRuleError {
  readonly code = 'shopper_account_not_usable';
  constructor(
    readonly accountId: string,
    readonly status: string,
    readonly movement: string,
  ) {
    super(`Shopper account ${accountId} is ${status}: no ${movement} allowed`, { accountId, status, movement });
  }
}

/** A movement in another currency than the account's. 422 `currency_mismatch`. */
export class ShopperCurrencyMismatchError extends DomainRuleError {
  readonly code = 'currency_mismatch';
  constructor(
    readonly accountId: string,
    readonly accountCurrency: string,
    readonly currency: string,
  ) {
    super(`Shopper account ${accountId} holds ${accountCurrency}, not ${currency}`, { accountId, accountCurrency, currency });
  }
}

/** A credit level that is negative or beyond the bound. 400 `invalid_credit_level`. */
export class InvalidCreditLevelError extends ValidationError {
  constructor(reason: 'negative' | 'too_large', maxMinor: bigint) {
    super(`Credit level must be between 0 and ${maxMinor} minor units (${reason})`, { reason, maxMinor: maxMinor.toString() }, 'invalid_credit_level');
  }
}

/** Closing an account whose balance is not zero (money owed either way). 422 `balance_not_zero`. */
export class ShopperBalanceNotZeroError extends DomainRuleError {
  readonly code = 'balance_not_zero';
  constructor(
    readonly accountId: string,
    readonly balanceMinor: bigint,
  ) {
    super(`Shopper account ${accountId} has a balance of ${balanceMinor} minor units: settle it before closing`, { accountId, balanceMinor: balanceMinor.toString() });
  }
}

/** A top-up checkout paid from a shopper balance: a top-up is what credits the balance. 422 `top_up_needs_crypto`. */
export class TopUpNotPayableFromBalanceError extends DomainRuleError {
  readonly code = 'top_up_needs_crypto';
  constructor(readonly checkoutId: string) {
    super(`Checkout ${checkoutId} is a top-up: it is paid in crypto only`, { checkoutId });
  }
}
