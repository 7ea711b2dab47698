import type { Checkout } from '../checkout/checkout';
import { DomainRuleError } from '../errors/api-errors';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';
import { cryptoDueForFiat } from '../money/rate';
import { isCountedTender, type Tender } from './tender';

export type TenderNotApplicableReason = 'not_new' | 'expired' | 'has_payment' | 'fully_covered' | 'currency_mismatch';

/** A tender cannot be applied to this checkout now. 422 `tender_not_applicable`. */
export class TenderNotApplicableError extends DomainRuleError {
  readonly code = 'tender_not_applicable';
  constructor(
    readonly checkoutId: string,
    readonly reason: TenderNotApplicableReason,
  ) {
    super(`No tender can be applied to checkout ${checkoutId} (${reason.replace(/_/g, ' ')})`, { checkoutId, reason });
  }
}

/** Sum of the tenders that pay the checkout (`held` and `captured`). */
export function tenderedMinor(tenders: readonly Pick<Tender, 'status' | 'amountMinor'>[]): bigint {
  return tenders.reduce((sum, t) => (isCountedTender(t) ? sum + t.amountMinor : sum), 0n);
}

/** The fiat still to be paid in crypto: the price less what the tenders cover, never below zero. */
export function fiatStillDueMinor(priceMinor: bigint, tenders: readonly Pick<Tender, 'status' | 'amountMinor'>[]): bigint {
  const remaining = priceMinor - tenderedMinor(tenders);
  return remaining > 0n ? remaining : 0n;
}

/** What one more tender takes: all of the source's `availableMinor`, but never more than is still due. */
export function tenderAmountToApply(availableMinor: bigint, stillDueMinor: bigint): bigint {
  if (availableMinor <= 0n || stillDueMinor <= 0n) return 0n;
  return availableMinor < stillDueMinor ? availableMinor : stillDueMinor;
}

/**
 * The crypto due for the fiat remainder at the checkout's locked rate, rounded up like every amount due
 * (`cryptoDueForFiat`); 0 when the tenders cover the price.
 */
export function cryptoDueForRemainder(remainingMinor: bigint, currency: FiatCurrency, asset: CryptoAsset, rate: string): bigint {
  return remainingMinor === 0n ? 0n : cryptoDueForFiat(remainingMinor, currency, asset, rate);
}

/**
 * Refuses a tender unless the checkout is `new`, unexpired, in `currency`, has no crypto received yet (a
 * remainder re-quoted under a payment in flight could leave it short or over), and is not yet covered.
 */
export function assertTenderApplicable(
  checkout: Pick<Checkout, 'id' | 'status' | 'expiresAt' | 'amountPaidBase' | 'currency' | 'priceMinor'>,
  tenders: readonly Pick<Tender, 'status' | 'amountMinor'>[],
  currency: FiatCurrency,
  now: Date,
): void {
  if (checkout.status !== 'new') throw new TenderNotApplicableError(checkout.id, 'not_new');
  if (now.getTime() >= checkout.expiresAt.getTime()) throw new TenderNotApplicableError(checkout.id, 'expired');
  if (checkout.currency !== currency) throw new TenderNotApplicableError(checkout.id, 'currency_mismatch');
  if (checkout.amountPaidBase > 0n) throw new TenderNotApplicableError(checkout.id, 'has_payment');
  if (fiatStillDueMinor(checkout.priceMinor, tenders) === 0n) throw new TenderNotApplicableError(checkout.id, 'fully_covered');
}
