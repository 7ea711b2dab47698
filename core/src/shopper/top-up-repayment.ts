/** How a credit lands on an account that may be overdrawn. */
export interface CreditSplit {
  /** The part that pays back the overdraft in use, first. */
  readonly repaysOverdraftMinor: bigint;
  /** The rest, which becomes spendable balance. */
  readonly addsToBalanceMinor: bigint;
}

/**
 * The repayment order of a top-up (or any credit): the overdraft is repaid first, only what is left over
 * adds to the balance. Both parts are ≥ 0 and sum to the credit.
 */
export function splitCredit(balanceBeforeMinor: bigint, creditMinor: bigint): CreditSplit {
  if (creditMinor < 0n) throw new RangeError(`credit must not be negative: ${creditMinor}`);
  const owed = balanceBeforeMinor < 0n ? -balanceBeforeMinor : 0n;
  const repays = creditMinor < owed ? creditMinor : owed;
  return { repaysOverdraftMinor: repays, addsToBalanceMinor: creditMinor - repays };
}
