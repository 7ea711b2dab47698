import { DomainRuleError } from '../errors/api-errors';
import type { Checkout, CheckoutStatus } from './checkout';
import { type Transition, stampEvents } from './evaluate';
import { isLivePayment, type Payment } from './payment';

/** The store asked to cancel a checkout that is past the point of cancelling. 422 `checkout_not_cancellable`. */
export class CheckoutNotCancellableError extends DomainRuleError {
  readonly code = 'checkout_not_cancellable';
  constructor(
    readonly checkoutId: string,
    readonly status: CheckoutStatus,
    readonly reason: 'not_new' | 'expired' | 'has_payment',
  ) {
    super(
      reason === 'has_payment'
        ? `Checkout ${checkoutId} has a payment and cannot be cancelled`
        : reason === 'expired'
          ? `Checkout ${checkoutId} has expired and cannot be cancelled`
          : `Checkout ${checkoutId} is ${status} and cannot be cancelled`,
      { checkoutId, status, reason },
    );
  }
}

/**
 * Cancels a checkout on the store's request. Only a `new` checkout, before `expiresAt`, with no live
 * payment (in any asset) may be cancelled: once money is on its way, the store must wait for the
 * checkout to resolve and refund instead. Announces `checkout.cancelled`.
 */
export function cancel(checkout: Checkout, payments: readonly Payment[], now: Date): Transition {
  if (checkout.status !== 'new') throw new CheckoutNotCancellableError(checkout.id, checkout.status, 'not_new');
  if (!(now.getTime() < checkout.expiresAt.getTime())) {
    throw new CheckoutNotCancellableError(checkout.id, checkout.status, 'expired');
  }
  if (payments.some((p) => p.checkoutId === checkout.id && isLivePayment(p))) {
    throw new CheckoutNotCancellableError(checkout.id, checkout.status, 'has_payment');
  }
  const next: Checkout = { ...checkout, status: 'cancelled', version: checkout.version + 1 };
  return {
    next,
    events: stampEvents([{ body: { type: 'checkout.cancelled' }, snapshot: next }], next.version, new Map(), new Date(now.getTime())),
  };
}
