import type { CheckoutId, PaymentId, StoreId } from '../ids/id';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';
import type { TenderKind, TenderStatus } from '../tenders/tender';
import type { CheckoutException, CheckoutStatus, InvalidReason } from './checkout';

/** A payment as events announce it. */
export interface PaymentRef {
  readonly paymentId: PaymentId;
  readonly txid: string;
  readonly outputIndex: number;
  readonly amountBase: bigint;
  readonly confirmations: number;
}

/** The checkout as it stood right after the transition the event announces. */
export interface CheckoutEventBase {
  /**
   * `<checkoutId>:<type>:<version>` (plus `:<paymentId>` for `payment.reversed`): the same transition
   * always yields the same key, so the outbox and webhook deliveries can deduplicate on it.
   */
  readonly dedupeKey: string;
  readonly checkoutId: CheckoutId;
  readonly storeId: StoreId;
  readonly orderId: string;
  /** The checkout version written together with this event. */
  readonly version: number;
  readonly occurredAt: Date;
  readonly status: CheckoutStatus;
  readonly exception: CheckoutException;
  readonly priceMinor: bigint;
  readonly currency: FiatCurrency;
  readonly asset: CryptoAsset | null;
  readonly amountDueBase: bigint | null;
  readonly amountPaidBase: bigint;
  /** The counted payments (live, first seen before expiry). */
  readonly payments: readonly PaymentRef[];
  /**
   * Vouchers and shopper balance paying part of the price, on events announced where the tenders are
   * known (applying one, or tenders covering the price); absent on events the chain follower announces.
   */
  readonly tenders?: readonly TenderRef[];
}

/** A tender as events announce it. */
export interface TenderRef {
  readonly kind: TenderKind;
  readonly sourceId: string;
  readonly amountMinor: bigint;
  readonly status: TenderStatus;
}

export type CheckoutEvent =
  | (CheckoutEventBase & {
      readonly type:
        | 'checkout.paid_partial'
        | 'checkout.processing'
        | 'checkout.settled'
        | 'checkout.expired'
        | 'checkout.reopened'
        | 'checkout.cancelled';
    })
  | (CheckoutEventBase & { readonly type: 'checkout.invalid'; readonly reason: InvalidReason })
  | (CheckoutEventBase & {
      readonly type: 'checkout.paid_late';
      /** Payments Coinstile learnt of after the checkout expired. */
      readonly latePayments: readonly PaymentRef[];
      readonly amountLateBase: bigint;
    })
  | (CheckoutEventBase & {
      readonly type: 'payment.reversed';
      readonly payment: PaymentRef & { readonly state: 'orphaned' | 'replaced' };
    });

export type CheckoutEventType = CheckoutEvent['type'];

export const CHECKOUT_EVENT_TYPES: readonly CheckoutEventType[] = [
  'checkout.paid_partial',
  'checkout.processing',
  'checkout.settled',
  'checkout.expired',
  'checkout.reopened',
  'checkout.cancelled',
  'checkout.invalid',
  'checkout.paid_late',
  'payment.reversed',
];

export function checkoutEventDedupeKey(checkoutId: CheckoutId, type: CheckoutEventType, version: number, paymentId?: PaymentId): string {
  return paymentId === undefined ? `${checkoutId}:${type}:${version}` : `${checkoutId}:${type}:${version}:${paymentId}`;
}
