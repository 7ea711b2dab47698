import type { PayoutBatchId, PayoutId, StoreId } from '../ids/id';
import type { FiatCurrency } from '../money/fiat-currency';

/** Where a store is paid (SEPA-style; `bic` optional where the IBAN suffices). */
export interface PayoutAccount {
  readonly iban: string;
  readonly bic?: string;
  readonly holderName: string;
}

/** One fiat transfer to make. */
export interface PayoutInstruction {
  readonly payoutId: PayoutId;
  readonly storeId: StoreId;
  readonly currency: FiatCurrency;
  /** > 0, minor units of `currency`. */
  readonly amountMinor: bigint;
  readonly account: PayoutAccount;
  /** Remittance information the store sees on its statement (e.g. the payout id). */
  readonly reference: string;
}

/**
 * What the provider said about one payout: `submitted` (accepted, outcome later), `paid` (final),
 * `failed` (final; nothing was or will be paid).
 */
export type PayoutSubmissionStatus = 'submitted' | 'paid' | 'failed';

export interface PayoutSubmission {
  readonly payoutId: PayoutId;
  readonly status: PayoutSubmissionStatus;
  /** The provider's own id for the transfer (or the bank file name and entry). */
  readonly providerReference: string;
  /** Set when `status` is `failed`. */
  readonly failureReason: string | null;
}

/** A way to pay stores in fiat: an ISO 20022 pain.001 bank file, or an HTTP payout API. */
export interface PayoutProvider {
  /** Stable name recorded with each payout (`bank_file`, `http_api`, …). */
  readonly name: string;
  /**
   * Submits one batch, all in the same currency. Idempotent per `batchId` and `payoutId`: submitting
   * again after a crash returns the earlier submissions and never pays twice. Returns one submission per
   * instruction, in order. Throws only when the provider could not be reached at all (retry later).
   */
  submit(batchId: PayoutBatchId, payouts: readonly PayoutInstruction[]): Promise<PayoutSubmission[]>;
  /**
   * The current status of earlier submissions, for providers that settle asynchronously; payouts the
   * provider does not know are absent from the result.
   */
  status(payoutIds: readonly PayoutId[]): Promise<PayoutSubmission[]>;
}
