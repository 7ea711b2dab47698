import { DEFAULT_AUTO_ACCEPT_DAYS, INSPECTION_DESTINATIONS, type InspectionDestination, MAX_AUTO_ACCEPT_DAYS, MIN_AUTO_ACCEPT_DAYS } from './escrow-hold';
import { REFUND_DESTINATIONS, type RefundDestination } from './refund-destination';

/** The rate a refund's crypto amount is computed at: the sale's locked rate, or the rate when the shopper asks. */
export type RefundRatePolicy = 'sale' | 'current';

export const REFUND_RATE_POLICIES: readonly RefundRatePolicy[] = ['sale', 'current'];

/** A store's escrow rules (in `stores.policy.escrow`). */
export interface EscrowPolicy {
  /** Checkouts that do not say `escrow` are escrowed when true. */
  readonly byDefault: boolean;
  /** Who inspects the goods unless the store's shipment says otherwise. */
  readonly inspection: InspectionDestination;
  /** Days after delivery until auto-acceptance (and the end of the dispute window). */
  readonly autoAcceptDays: number;
  readonly refundRate: RefundRatePolicy;
  /** Refunds of checkouts linked to a shopper account go to its balance (`shopper_balance`), or always to an address. */
  readonly refundTo: RefundDestination;
}

export const DEFAULT_ESCROW_POLICY: EscrowPolicy = {
  byDefault: false,
  inspection: 'shopper',
  autoAcceptDays: DEFAULT_AUTO_ACCEPT_DAYS,
  refundRate: 'sale',
  refundTo: 'shopper_balance',
};

/**
 * The escrow policy stored in a store's policy JSON (`policy.escrow`), each field falling back to the
 * default when absent or not valid: a store written before escrow existed has the defaults.
 */
export function escrowPolicyFromJson(value: unknown): EscrowPolicy {
  const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const days = v['autoAcceptDays'];
  return {
    byDefault: typeof v['byDefault'] === 'boolean' ? v['byDefault'] : DEFAULT_ESCROW_POLICY.byDefault,
    inspection: INSPECTION_DESTINATIONS.find((d) => d === v['inspection']) ?? DEFAULT_ESCROW_POLICY.inspection,
    autoAcceptDays:
      typeof days === 'number' && Number.isInteger(days) && days >= MIN_AUTO_ACCEPT_DAYS && days <= MAX_AUTO_ACCEPT_DAYS ? days : DEFAULT_ESCROW_POLICY.autoAcceptDays,
    refundRate: v['refundRate'] === 'current' ? 'current' : 'sale',
    refundTo: REFUND_DESTINATIONS.find((d) => d === v['refundTo']) ?? DEFAULT_ESCROW_POLICY.refundTo,
  };
}
