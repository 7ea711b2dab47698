import type { CheckoutId, PaymentId, QuoteId, StoreId } from '../ids/id';
import type { CryptoAsset } from '../money/crypto-asset';
import type { FiatCurrency } from '../money/fiat-currency';
import type { Rate } from '../money/rate';

/**
 * - `new`: waiting for payment in full;
 * - `processing`: paid in full in time, waiting for the confirmations the policy asks;
 * - `settled`: confirmed per policy; the fiat value is fixed and the order may be released;
 * - `expired`: not paid in full before `expiresAt`;
 * - `invalid`: a counted payment was double-spent, orphaned after expiry, or never confirmed in time;
 * - `cancelled`: cancelled by the store before any payment.
 */
export type CheckoutStatus = 'new' | 'processing' | 'settled' | 'expired' | 'invalid' | 'cancelled';

export const CHECKOUT_STATUSES: readonly CheckoutStatus[] = ['new', 'processing', 'settled', 'expired', 'invalid', 'cancelled'];

/** Statuses no evaluation leaves (`expired` may still flag `paid_late`, `settled` may report reversals). */
export function isTerminalStatus(status: CheckoutStatus): boolean {
  switch (status) {
    case 'new':
    case 'processing':
      return false;
    case 'settled':
    case 'expired':
    case 'invalid':
    case 'cancelled':
      return true;
  }
}

/** What is off about the payments, independent of the status (BTCPay's exception status). */
export type CheckoutException = 'none' | 'paid_partial' | 'paid_over' | 'paid_late';

/** Why a checkout became `invalid`. */
export type InvalidReason = 'double_spend' | 'payment_orphaned' | 'not_confirmed_in_time';

export interface Checkout {
  readonly id: CheckoutId;
  readonly storeId: StoreId;
  /** The store's own order reference. */
  readonly orderId: string;
  readonly priceMinor: bigint;
  readonly currency: FiatCurrency;
  /** The asset chosen to pay with; null until the shopper (or the store) picks one. */
  readonly asset: CryptoAsset | null;
  /** The address payments for `asset` go to; null while `asset` is. */
  readonly address: string | null;
  /** What to pay in `asset`'s base units, from the locked quote, rounded up; null while `asset` is. */
  readonly amountDueBase: bigint | null;
  readonly quoteId: QuoteId | null;
  readonly rate: Rate | null;
  readonly quoteExpiresAt: Date | null;
  readonly status: CheckoutStatus;
  readonly exception: CheckoutException;
  /** Set when, and only when, `status` is `invalid`. */
  readonly invalidReason: InvalidReason | null;
  /** Sum of the counted payments (live, first seen before expiry) at the last evaluation. */
  readonly amountPaidBase: bigint;
  /** The payments `amountPaidBase` is made of; once settled, the payments the settlement relied on. */
  readonly countedPaymentIds: readonly PaymentId[];
  /** Settled payments already reported as reversed (`payment.reversed` is announced once each). */
  readonly reversedPaymentIds: readonly PaymentId[];
  /** Compare-and-set token: every change made by `evaluate` or `cancel` increments it by one. */
  readonly version: number;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** End of the watch for late payments and confirmations (after `expiresAt`). */
  readonly monitoringUntil: Date;
  readonly settledAt: Date | null;
}
