import type {
  AcceptedBy,
  CheckoutId,
  DisputeResolution,
  EscrowEventType,
  EscrowHoldId,
  EscrowStatus,
  FiatCurrency,
  InspectionDestination,
  RefundId,
  StoreId,
} from '@coinstile/core';

/**
 * `escrow.held` (a hold was opened for a reserved payout; carries the shopper's signed link), and every
 * transition `decideEscrow` announces: `escrow.shipped`, `escrow.delivered`, `escrow.accepted`,
 * `dispute.opened`, `dispute.resolved`, `order.cancelled_by_store`. Sent to the store as webhooks.
 */
export interface EscrowHoldEvent {
  readonly type: 'escrow.held' | EscrowEventType;
  readonly holdId: EscrowHoldId;
  readonly storeId: StoreId;
  readonly checkoutId: CheckoutId;
  readonly orderId: string;
  readonly status: EscrowStatus;
  readonly inspection: InspectionDestination;
  readonly currency: FiatCurrency;
  readonly heldMinor: bigint;
  readonly releasedMinor: bigint;
  /** What the shopper is owed (refunded part of the held amount plus any fee given back). */
  readonly refundMinor: bigint;
  readonly acceptanceDeadline: Date | null;
  readonly acceptedBy: AcceptedBy | null;
  readonly resolution: DisputeResolution | null;
  /**
   * The shopper's signed page to confirm receipt or open a dispute (`/accept/{token}`); the store passes it
   * on (to the gift recipient when the order is a gift). Null when links are not configured.
   */
  readonly acceptUrl: string | null;
  /** The shopper's dispute reason, the operator's resolution note, or the store's reason to cancel. */
  readonly note: string | null;
  readonly occurredAt: Date;
}

/** `shipment.registered`, `shipment.in_transit`, `shipment.delivered`. */
export interface ShipmentEvent {
  readonly type: 'shipment.registered' | 'shipment.in_transit' | 'shipment.delivered';
  readonly shipmentId: string;
  readonly storeId: StoreId;
  readonly checkoutId: CheckoutId;
  readonly carrierCode: string;
  readonly trackingNumber: string;
  readonly occurredAt: Date;
}

/**
 * `refund.requested` (a refund is owed; carries the shopper's signed link to give an address),
 * `refund.address_submitted` (the crypto amount is fixed), `refund.sent` (the operator sent it, txid);
 * or `refund.credited` (paid at once into the shopper account the checkout was linked to, `shopperAccountId`).
 */
export interface RefundEvent {
  readonly type: 'refund.requested' | 'refund.address_submitted' | 'refund.sent' | 'refund.credited';
  readonly refundId: RefundId;
  readonly storeId: StoreId;
  readonly checkoutId: CheckoutId;
  readonly currency: FiatCurrency;
  readonly refundMinor: bigint;
  readonly asset: string;
  readonly refundUrl: string | null;
  /** The shopper account credited (`refund.credited` only). */
  readonly shopperAccountId: string | null;
  readonly address: string | null;
  readonly rate: string | null;
  readonly amountBase: bigint | null;
  readonly txid: string | null;
  readonly occurredAt: Date;
}

/** `payout.refunded`: a held payout that will never be paid, its order refunded in full. */
export interface PayoutRefundedEvent {
  readonly type: 'payout.refunded';
  readonly payoutId: string;
  readonly storeId: StoreId;
  readonly checkoutId: CheckoutId;
  readonly amountMinor: bigint;
  readonly currency: FiatCurrency;
  readonly occurredAt: Date;
}

/** Every event type the escrow flow publishes (documented in docs/escrow.md). */
export const ESCROW_EVENT_TYPES = [
  'escrow.held',
  'escrow.shipped',
  'escrow.delivered',
  'escrow.accepted',
  'dispute.opened',
  'dispute.resolved',
  'order.cancelled_by_store',
  'shipment.registered',
  'shipment.in_transit',
  'shipment.delivered',
  'refund.requested',
  'refund.address_submitted',
  'refund.sent',
  'refund.credited',
  'payout.refunded',
] as const;
