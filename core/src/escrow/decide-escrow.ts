import { assertNever } from '../errors/assert-never';
import { DAY_MS, type EscrowHold, type EscrowStatus } from './escrow-hold';

/** What can happen to a hold. */
export type EscrowCommand =
  /** The store registered its shipment (carrier and tracking number). */
  | { readonly type: 'register_shipment' }
  /** The carrier reported on the shipment. */
  | { readonly type: 'carrier_update'; readonly status: 'in_transit' | 'delivered' }
  /** The inspector (shopper or gift recipient) confirmed receipt through the signed link. */
  | { readonly type: 'confirm_receipt' }
  /** The shopper opened a dispute through the signed link. */
  | { readonly type: 'open_dispute' }
  /** The operator resolved the dispute. `refundMinor` (partial refunds): 0 < refund < held. */
  | { readonly type: 'resolve_dispute'; readonly resolution: 'release' }
  | { readonly type: 'resolve_dispute'; readonly resolution: 'refund_full' }
  | { readonly type: 'resolve_dispute'; readonly resolution: 'refund_partial'; readonly refundMinor: bigint }
  /** The store cancelled the order before acceptance. */
  | { readonly type: 'cancel_by_store' }
  /** Time passed: deadlines are checked. */
  | { readonly type: 'tick' };

/**
 * Events a change announces (outbox and webhooks): `escrow.shipped`, `escrow.delivered`,
 * `escrow.accepted`, `dispute.opened`, `dispute.resolved`, `order.cancelled_by_store`.
 */
export type EscrowEventType = 'escrow.shipped' | 'escrow.delivered' | 'escrow.accepted' | 'dispute.opened' | 'dispute.resolved' | 'order.cancelled_by_store';

/** Why a command cannot apply to the hold as it is. */
export type EscrowRefusal =
  /** The command makes no sense in the hold's status (e.g. shipping a cancelled order). */
  | { readonly reason: 'not_allowed_in_status'; readonly status: EscrowStatus }
  /** Receipt confirmed by link while the carrier is the inspector. */
  | { readonly reason: 'carrier_inspects' }
  /** A dispute opened after the acceptance deadline. */
  | { readonly reason: 'dispute_window_closed'; readonly deadline: Date }
  /** A partial refund that is not strictly between 0 and the held amount. */
  | { readonly reason: 'refund_out_of_range'; readonly heldMinor: bigint };

/** Money the change moves, in the hold's currency (minor units); all zero when nothing moves. */
export interface EscrowMoneyMove {
  /** Escrow → the store's payable account. */
  readonly releaseMinor: bigint;
  /** Escrow → owed to the shopper. */
  readonly refundFromEscrowMinor: bigint;
  /** Fee revenue → owed to the shopper. */
  readonly refundFeeMinor: bigint;
}

export type EscrowDecision =
  | { readonly outcome: 'changed'; readonly next: EscrowHold; readonly events: readonly EscrowEventType[]; readonly money: EscrowMoneyMove }
  /** Nothing to do: a repeated command (a carrier reporting delivery twice), or a tick before any deadline. */
  | { readonly outcome: 'unchanged' }
  | { readonly outcome: 'refused'; readonly refusal: EscrowRefusal };

const NO_MONEY: EscrowMoneyMove = { releaseMinor: 0n, refundFromEscrowMinor: 0n, refundFeeMinor: 0n };
const UNCHANGED: EscrowDecision = { outcome: 'unchanged' };

function refused(refusal: EscrowRefusal): EscrowDecision {
  return { outcome: 'refused', refusal };
}

function changed(hold: EscrowHold, patch: Partial<EscrowHold>, events: readonly EscrowEventType[], money: EscrowMoneyMove = NO_MONEY): EscrowDecision {
  return {
    outcome: 'changed',
    next: {
      ...hold,
      ...patch,
      releasedMinor: hold.releasedMinor + money.releaseMinor,
      refundFromEscrowMinor: hold.refundFromEscrowMinor + money.refundFromEscrowMinor,
      refundFeeMinor: hold.refundFeeMinor + money.refundFeeMinor,
      version: hold.version + 1,
    },
    events,
    money,
  };
}

/** Before acceptance: shipping, delivery and acceptance may still happen. */
function isOpen(status: EscrowStatus): status is 'reserved' | 'shipped' | 'delivered' {
  return status === 'reserved' || status === 'shipped' || status === 'delivered';
}

function accept(hold: EscrowHold, now: Date, by: NonNullable<EscrowHold['acceptedBy']>, events: readonly EscrowEventType[], patch: Partial<EscrowHold> = {}): EscrowDecision {
  return changed(hold, { ...patch, status: 'accepted', acceptedAt: now, acceptedBy: by }, [...events, 'escrow.accepted'], {
    ...NO_MONEY,
    releaseMinor: hold.heldMinor,
  });
}

const fullRefund = (hold: EscrowHold): EscrowMoneyMove => ({ releaseMinor: 0n, refundFromEscrowMinor: hold.heldMinor, refundFeeMinor: hold.feeMinor });

function deadlinePassed(hold: EscrowHold, now: Date): boolean {
  return hold.acceptanceDeadline !== null && now.getTime() >= hold.acceptanceDeadline.getTime();
}

/**
 * The escrow state machine: what `command` does to `hold` at `now`. Pure and total (no I/O, no clock,
 * never throws): a command that cannot apply is `refused` with its reason, a repeated one `unchanged`.
 *
 * Rules:
 * - `register_shipment`: `reserved → shipped` (`escrow.shipped`). One shipment per order: again is refused.
 * - `carrier_update in_transit`: nothing changes (the shipment is already `shipped`; the event is kept
 *   with the shipment's tracking history).
 * - `carrier_update delivered`: `shipped → delivered` (`escrow.delivered`), the acceptance deadline set
 *   `autoAcceptDays` after now. When the carrier is the inspector, delivery *is* acceptance: straight on to
 *   `accepted` (`escrow.accepted`, by `carrier`). Any other status: unchanged (late or repeated reports).
 * - `confirm_receipt`: `reserved | shipped | delivered → accepted` by the inspector (shopper or gift
 *   recipient); refused when the carrier inspects.
 * - `open_dispute`: `reserved | shipped | delivered → disputed` (`dispute.opened`) until the acceptance
 *   deadline; after it, refused (the goods are accepted).
 * - `tick`: `delivered` with the deadline passed → `accepted` by `deadline`.
 * - `resolve_dispute` (only `disputed`) → `resolved` (`dispute.resolved`): `release` releases all held;
 *   `refund_full` refunds the price (held amount and the mall's fee); `refund_partial` refunds
 *   `refundMinor` (0 < it < held) from the held amount and releases the rest.
 * - `cancel_by_store`: any status before acceptance (`disputed` too: the store concedes) → `cancelled`
 *   (`order.cancelled_by_store`), a full refund.
 * - Acceptance releases the held amount. Final statuses (`accepted`, `resolved`, `cancelled`) refuse
 *   every command but `tick` and carrier reports, which leave them unchanged.
 */
export function decideEscrow(hold: EscrowHold, command: EscrowCommand, now: Date): EscrowDecision {
  const { status } = hold;
  switch (command.type) {
    case 'register_shipment':
      return status === 'reserved' ? changed(hold, { status: 'shipped', shippedAt: now }, ['escrow.shipped']) : refused({ reason: 'not_allowed_in_status', status });
    case 'carrier_update': {
      if (command.status === 'in_transit' || status !== 'shipped') return UNCHANGED;
      const delivered = { status: 'delivered' as const, deliveredAt: now, acceptanceDeadline: new Date(now.getTime() + hold.autoAcceptDays * DAY_MS) };
      if (hold.inspection === 'carrier') return accept(hold, now, 'carrier', ['escrow.delivered'], delivered);
      return changed(hold, delivered, ['escrow.delivered']);
    }
    case 'confirm_receipt':
      if (!isOpen(status)) return refused({ reason: 'not_allowed_in_status', status });
      switch (hold.inspection) {
        case 'carrier':
          return refused({ reason: 'carrier_inspects' });
        case 'shopper':
        case 'gift_recipient':
          return accept(hold, now, hold.inspection, []);
      }
      return assertNever(hold.inspection, 'inspection destination');
    case 'open_dispute':
      if (!isOpen(status)) return refused({ reason: 'not_allowed_in_status', status });
      if (deadlinePassed(hold, now)) return refused({ reason: 'dispute_window_closed', deadline: hold.acceptanceDeadline as Date });
      return changed(hold, { status: 'disputed', disputedAt: now }, ['dispute.opened']);
    case 'tick':
      return status === 'delivered' && deadlinePassed(hold, now) ? accept(hold, now, 'deadline', []) : UNCHANGED;
    case 'resolve_dispute': {
      if (status !== 'disputed') return refused({ reason: 'not_allowed_in_status', status });
      const resolved = { status: 'resolved' as const, resolution: command.resolution, resolvedAt: now };
      switch (command.resolution) {
        case 'release':
          return changed(hold, resolved, ['dispute.resolved'], { ...NO_MONEY, releaseMinor: hold.heldMinor });
        case 'refund_full':
          return changed(hold, resolved, ['dispute.resolved'], fullRefund(hold));
        case 'refund_partial':
          if (command.refundMinor <= 0n || command.refundMinor >= hold.heldMinor) return refused({ reason: 'refund_out_of_range', heldMinor: hold.heldMinor });
          return changed(hold, resolved, ['dispute.resolved'], {
            releaseMinor: hold.heldMinor - command.refundMinor,
            refundFromEscrowMinor: command.refundMinor,
            refundFeeMinor: 0n,
          });
      }
      return assertNever(command, 'dispute resolution');
    }
    case 'cancel_by_store':
      if (!isOpen(status) && status !== 'disputed') return refused({ reason: 'not_allowed_in_status', status });
      return changed(hold, { status: 'cancelled', cancelledAt: now }, ['order.cancelled_by_store'], fullRefund(hold));
  }
  return assertNever(command, 'escrow command');
}
