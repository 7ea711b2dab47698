import type { PayoutBatchId, PayoutInstruction, PayoutProvider, PayoutSubmission } from '@coinstile/core';

export const MANUAL_PROVIDER = 'manual';

/**
 * The operator pays by hand (bank portal, cheque…) and then marks each payout paid or failed through
 * `PayoutOperator` (the dashboard and API call it). Submitting only records that the payout was handed
 * over; `status` knows nothing until the operator says so.
 */
export class ManualPayoutProvider implements PayoutProvider {
  readonly name = MANUAL_PROVIDER;

  async submit(batchId: PayoutBatchId, payouts: readonly PayoutInstruction[]): Promise<PayoutSubmission[]> {
    return payouts.map((p) => ({ payoutId: p.payoutId, status: 'submitted', providerReference: `manual:${batchId}`, failureReason: null }));
  }

  async status(): Promise<PayoutSubmission[]> {
    return [];
  }
}
