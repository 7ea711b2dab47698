import { assertNever } from '../errors/assert-never';
import type { FiatCurrency } from '../money/fiat-currency';
import { allowsMovement, type ShopperAccountStatus } from '../shopper/shopper-account';

/**
 * Where an escrow refund goes: credited to the shopper's Coinstile balance (instant, no address, no
 * crypto leaves the mall), or sent on-chain to the address the shopper gives through the signed link.
 */
export type RefundDestination = 'shopper_balance' | 'address';

export const REFUND_DESTINATIONS: readonly RefundDestination[] = ['shopper_balance', 'address'];

/** The shopper account a refunded checkout was linked to, as far as the choice needs it. */
export interface RefundAccountLink {
  readonly status: ShopperAccountStatus;
  readonly currency: FiatCurrency;
}

/**
 * The store's `policy.escrow.refundTo` applied to one refund. `shopper_balance` (the default) credits the
 * balance only when the checkout was linked to an account that can take the credit now (not closed, same
 * currency); every other refund falls back to the address link, so a refund is never stuck.
 */
export function chooseRefundDestination(refundTo: RefundDestination, linked: RefundAccountLink | null, refundCurrency: FiatCurrency): RefundDestination {
  switch (refundTo) {
    case 'address':
      return 'address';
    case 'shopper_balance':
      return linked !== null && allowsMovement(linked.status, 'credit') && linked.currency === refundCurrency ? 'shopper_balance' : 'address';
  }
  return assertNever(refundTo, 'refund destination');
}
