import type { CheckoutId, EscrowHoldId, StoreId } from '../ids/id';
import type { FiatCurrency } from '../money/fiat-currency';

/**
 * Where a held payout stands (seed 004: payment reserved before delivery, processed after the buyer's
 * acceptance inspection):
 * - `reserved`: the store's share is in escrow; nothing shipped yet;
 * - `shipped`: the store registered a shipment (carrier + tracking number);
 * - `delivered`: the carrier reported delivery; the acceptance window runs until `acceptanceDeadline`;
 * - `accepted`: receipt confirmed (by the inspector, or the deadline passed): the payout is released;
 * - `disputed`: the shopper opened a dispute; held until the operator resolves it;
 * - `resolved`: the operator decided (`resolution`: release, full refund or partial refund);
 * - `cancelled`: the store cancelled the order before acceptance: the shopper is refunded in full.
 */
export type EscrowStatus = 'reserved' | 'shipped' | 'delivered' | 'accepted' | 'disputed' | 'resolved' | 'cancelled';

export const ESCROW_STATUSES: readonly EscrowStatus[] = ['reserved', 'shipped', 'delivered', 'accepted', 'disputed', 'resolved', 'cancelled'];

/** Statuses after which nothing changes any more. */
export function isFinalEscrowStatus(status: EscrowStatus): boolean {
  switch (status) {
    case 'accepted':
    case 'resolved':
    case 'cancelled':
      return true;
    case 'reserved':
    case 'shipped':
    case 'delivered':
    case 'disputed':
      return false;
  }
}

/**
 * Who inspects the goods (seed 004's "inspection destination"), so which event counts as acceptance:
 * the shopper's or the gift recipient's confirmation through their signed link, or the carrier's
 * delivery report.
 */
export type InspectionDestination = 'shopper' | 'gift_recipient' | 'carrier';

export const INSPECTION_DESTINATIONS: readonly InspectionDestination[] = ['shopper', 'gift_recipient', 'carrier'];

/** What accepted the goods: the inspector, or the acceptance deadline passing with no dispute. */
export type AcceptedBy = InspectionDestination | 'deadline';

/** The operator's decision on a dispute. */
export type DisputeResolution = 'release' | 'refund_full' | 'refund_partial';

export const DISPUTE_RESOLUTIONS: readonly DisputeResolution[] = ['release', 'refund_full', 'refund_partial'];

/** Auto-acceptance may be set from 1 to 90 days after delivery. */
export const MIN_AUTO_ACCEPT_DAYS = 1;
export const MAX_AUTO_ACCEPT_DAYS = 90;
export const DEFAULT_AUTO_ACCEPT_DAYS = 14;
export const DAY_MS = 86_400_000;

/**
 * One escrowed payout. Money in minor units of `currency`:
 * `heldMinor` (= price − fee) sits in the store's escrow account until the hold is final; then
 * `releasedMinor + refundFromEscrowMinor = heldMinor` exactly, and the shopper is owed
 * `refundFromEscrowMinor + refundFeeMinor` (the mall gives its fee back only on a full refund).
 */
export interface EscrowHold {
  readonly id: EscrowHoldId;
  readonly checkoutId: CheckoutId;
  readonly storeId: StoreId;
  readonly currency: FiatCurrency;
  /** The checkout price, as locked at quote time. */
  readonly priceMinor: bigint;
  /** The mall's fee taken at release. */
  readonly feeMinor: bigint;
  /** The store's share held in escrow: price − fee. */
  readonly heldMinor: bigint;
  readonly inspection: InspectionDestination;
  /** Days after delivery when the goods count as accepted if nobody disputed; disputes are open until then. */
  readonly autoAcceptDays: number;
  readonly status: EscrowStatus;
  readonly shippedAt: Date | null;
  readonly deliveredAt: Date | null;
  /** `deliveredAt` + `autoAcceptDays`: auto-acceptance and the end of the dispute window. */
  readonly acceptanceDeadline: Date | null;
  readonly acceptedAt: Date | null;
  readonly acceptedBy: AcceptedBy | null;
  readonly disputedAt: Date | null;
  readonly resolution: DisputeResolution | null;
  readonly resolvedAt: Date | null;
  readonly cancelledAt: Date | null;
  /** Moved from escrow to the store's payable account. */
  readonly releasedMinor: bigint;
  /** Taken from the store's escrow to refund the shopper. */
  readonly refundFromEscrowMinor: bigint;
  /** The mall's fee given back to the shopper (full refunds only). */
  readonly refundFeeMinor: bigint;
  /** Compare-and-set version: one higher after every change. */
  readonly version: number;
}

/** The fields a new hold starts from; everything else starts empty. */
export interface NewEscrowHold {
  readonly id: EscrowHoldId;
  readonly checkoutId: CheckoutId;
  readonly storeId: StoreId;
  readonly currency: FiatCurrency;
  readonly priceMinor: bigint;
  readonly feeMinor: bigint;
  readonly inspection: InspectionDestination;
  readonly autoAcceptDays: number;
}

/** A hold as it starts, right after its payout was reserved. */
export function newEscrowHold(input: NewEscrowHold): EscrowHold {
  return {
    ...input,
    heldMinor: input.priceMinor - input.feeMinor,
    status: 'reserved',
    shippedAt: null,
    deliveredAt: null,
    acceptanceDeadline: null,
    acceptedAt: null,
    acceptedBy: null,
    disputedAt: null,
    resolution: null,
    resolvedAt: null,
    cancelledAt: null,
    releasedMinor: 0n,
    refundFromEscrowMinor: 0n,
    refundFeeMinor: 0n,
    version: 0,
  };
}
