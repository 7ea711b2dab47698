import { ConflictError, DomainRuleError, type EscrowRefusal, ValidationError } from '@coinstile/core';

/** The escrow state machine refused the command (`decideEscrow`'s reason). 422 `escrow_<reason>`. */
export class EscrowTransitionRefusedError extends DomainRuleError {
  readonly code: string;
  constructor(readonly refusal: EscrowRefusal) {
    super(refusalMessage(refusal), refusalDetails(refusal));
    this.code = `escrow_${refusal.reason}`;
  }
}

function refusalMessage(refusal: EscrowRefusal): string {
  switch (refusal.reason) {
    case 'not_allowed_in_status':
      return `Not possible while the order's escrow is ${refusal.status}`;
    case 'carrier_inspects':
      return "The carrier's delivery report accepts this order, not the shopper's link";
    case 'dispute_window_closed':
      return `The dispute window closed at ${refusal.deadline.toISOString()}`;
    case 'refund_out_of_range':
      return `A partial refund must be more than 0 and less than the ${refusal.heldMinor} held`;
  }
}

function refusalDetails(refusal: EscrowRefusal): Record<string, string> {
  switch (refusal.reason) {
    case 'not_allowed_in_status':
      return { status: refusal.status };
    case 'carrier_inspects':
      return {};
    case 'dispute_window_closed':
      return { deadline: refusal.deadline.toISOString() };
    case 'refund_out_of_range':
      return { heldMinor: refusal.heldMinor.toString() };
  }
}

/** The order is not released yet (nothing to ship or cancel). 422 `order_not_released`. */
export class OrderNotReleasedError extends DomainRuleError {
  readonly code = 'order_not_released';
  constructor(checkoutId: string) {
    super(`Checkout ${checkoutId} has not been released (not settled yet)`, { checkoutId });
  }
}

/** Cancelling with a refund needs the payout still held in escrow. 422 `not_under_escrow`. */
export class NotUnderEscrowError extends DomainRuleError {
  readonly code = 'not_under_escrow';
  constructor(checkoutId: string) {
    super(`Checkout ${checkoutId} is not under escrow: its payout is not held`, { checkoutId });
  }
}

/** The order already has a shipment, or the tracking number is used. 409 `shipment_exists`. */
export class ShipmentExistsError extends ConflictError {
  constructor(details: Record<string, string>) {
    super('A shipment with this order or tracking number already exists', details, 'shipment_exists');
  }
}

/** A carrier code already registered. 409 `carrier_exists`. */
export class CarrierExistsError extends ConflictError {
  constructor(code: string) {
    super(`A carrier with code ${code} already exists`, { code }, 'carrier_exists');
  }
}

/** The refund is not in the status the action needs (address already given, already sent). 409 `refund_status`. */
export class RefundStatusError extends ConflictError {
  constructor(refundId: string, status: string, wanted: string) {
    super(`Refund ${refundId} is ${status}, not ${wanted}`, { refundId, status }, 'refund_status');
  }
}

/** A signed link that is malformed, forged or expired. 400 `invalid_link` (the page says so). */
export class InvalidEscrowLinkError extends ValidationError {
  constructor(reason: 'malformed' | 'bad_signature' | 'expired' | 'wrong_purpose') {
    super(`This link is not valid (${reason})`, { reason }, 'invalid_link');
  }
}
