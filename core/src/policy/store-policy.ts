import { ValidationError } from '../errors/api-errors';
import type { ConfirmationPolicy } from './confirmation-policy';

/** A store's checkout rules: confirmations, underpayment tolerance, expiry and late-payment window. */
export interface StorePolicy extends ConfirmationPolicy {
  /**
   * Underpayment accepted as paid in full, in percent of the amount due, as a decimal string ("0.5").
   * Validated by `parseTolerancePct`: 0 ≤ x < 100, at most 4 decimals.
   */
  readonly paymentTolerancePct: string;
  /** Minutes a checkout waits for payment in full after its creation. */
  readonly expiryMinutes: number;
  /**
   * Minutes after expiry during which payments are still watched: late payments are flagged and
   * processing checkouts may still confirm (as BTCPay's monitoring expiration).
   */
  readonly monitoringMinutes: number;
}

export const DEFAULT_STORE_POLICY: StorePolicy = {
  speedPolicy: 'medium_speed',
  paymentTolerancePct: '0',
  expiryMinutes: 15,
  monitoringMinutes: 1440,
};

/** A tolerance as an exact fraction of 100 %: `pct = numerator / denominator` percent. */
export interface TolerancePct {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** A tolerance that is not a decimal percentage in [0, 100) with at most 4 decimals. 400. */
export class InvalidToleranceError extends ValidationError {
  constructor(readonly value: unknown) {
    super(
      'paymentTolerancePct must be a decimal string in [0, 100) with at most 4 decimals',
      { field: 'paymentTolerancePct' },
      'invalid_tolerance',
    );
  }
}

/** Parses a tolerance percentage exactly ("0.5" → 5/10). */
export function parseTolerancePct(text: unknown): TolerancePct {
  if (typeof text !== 'string') throw new InvalidToleranceError(text);
  const match = /^(0|[1-9][0-9]?)(?:\.([0-9]{1,4}))?$/.exec(text);
  if (match === null) throw new InvalidToleranceError(text);
  const fraction = match[2] ?? '';
  return { numerator: BigInt((match[1] ?? '') + fraction), denominator: 10n ** BigInt(fraction.length) };
}

/**
 * True when `paidBase` counts as paying `dueBase` in full: paid ≥ due × (1 − pct/100), compared exactly
 * in integers (no rounding at the boundary: exactly at the tolerance is paid in full).
 */
export function isPaidInFull(paidBase: bigint, dueBase: bigint, tolerance: TolerancePct): boolean {
  const hundred = 100n * tolerance.denominator;
  return paidBase * hundred >= dueBase * (hundred - tolerance.numerator);
}

/**
 * Validates the numeric fields of a store policy (the API layer validates shape and enums with zod
 * and then calls this for the rules zod cannot state).
 */
export function validateStorePolicy(policy: StorePolicy): StorePolicy {
  parseTolerancePct(policy.paymentTolerancePct);
  const minutes = (field: 'expiryMinutes' | 'monitoringMinutes', value: number, min: number): void => {
    if (!Number.isInteger(value) || value < min || value > 525_600) {
      throw new ValidationError(`${field} must be an integer between ${min} and 525600`, { field });
    }
  };
  minutes('expiryMinutes', policy.expiryMinutes, 1);
  minutes('monitoringMinutes', policy.monitoringMinutes, 1);
  for (const threshold of policy.amountThresholds ?? []) {
    if (threshold.aboveMinor < 0n) {
      throw new ValidationError('amountThresholds[].aboveMinor must not be negative', { field: 'amountThresholds' });
    }
  }
  return policy;
}

/** When a checkout created at `createdAt` under `policy` expires, and when its monitoring ends. */
export function checkoutDeadlines(
  createdAt: Date,
  policy: Pick<StorePolicy, 'expiryMinutes' | 'monitoringMinutes'>,
): { expiresAt: Date; monitoringUntil: Date } {
  const expiresAtMs = createdAt.getTime() + policy.expiryMinutes * 60_000;
  return { expiresAt: new Date(expiresAtMs), monitoringUntil: new Date(expiresAtMs + policy.monitoringMinutes * 60_000) };
}
