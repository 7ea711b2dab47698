import { ConflictError, NotFoundError, type Clock, type PayoutBatchId, type PayoutId, type RandomSource } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import { batchKysely } from './payout-batch-schema';
import { movePayouts, type MovedPayout, type PayoutMove } from './payout-transitions';

export interface PayoutOperatorDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/** The payout is not in a state the requested action applies to. 409 `payout_state_conflict`. */
export class PayoutStateConflictError extends ConflictError {
  constructor(
    readonly payoutId: string,
    readonly status: string,
    readonly action: string,
  ) {
    super(`Payout ${payoutId} is ${status}; cannot ${action}`, { payoutId, status, action }, 'payout_state_conflict');
  }
}

/**
 * What the operator does by hand (the dashboard and API call these): confirm a payout paid from the
 * bank statement (bank files, `manual`), mark it failed or returned, retry a failed or returned payout
 * (a new attempt that may join a new batch), and release a held batch for submission again. Each is
 * the same compare-and-set move the batcher makes, with its ledger posting and event.
 */
export class PayoutOperator {
  constructor(private readonly deps: PayoutOperatorDeps) {}

  /** `sent → paid`. */
  markPaid(payoutId: PayoutId, providerReference?: string): Promise<MovedPayout> {
    return this.#move(payoutId, 'confirm_paid', 'mark it paid', { providerReference: providerReference ?? null });
  }

  /** `sent → failed` (the bank rejected the transfer); the amount is payable again. */
  markFailed(payoutId: PayoutId, reason: string): Promise<MovedPayout> {
    return this.#move(payoutId, 'fail_sent', 'mark it failed', { failureReason: reason.slice(0, 500) });
  }

  /** `paid → returned` (the money came back); the amount is payable again. */
  markReturned(payoutId: PayoutId, reason: string): Promise<MovedPayout> {
    return this.#move(payoutId, 'return', 'mark it returned', { failureReason: reason.slice(0, 500) });
  }

  /** `failed | returned → scheduled`, a new attempt, due now. */
  retry(payoutId: PayoutId): Promise<MovedPayout> {
    return this.#move(payoutId, 'retry', 'retry it', {});
  }

  /** A batch held after repeated submission failures goes back to `pending`, due now. */
  async retryBatch(batchId: PayoutBatchId): Promise<void> {
    const now = this.deps.clock.now();
    const db = batchKysely(this.deps.db);
    const updated = await db
      .updateTable('payout_batches')
      .set({ status: 'pending', submit_attempts: 0, next_attempt_at: now, updated_at: now })
      .where('id', '=', batchId)
      .where('status', '=', 'held')
      .returning('id')
      .executeTakeFirst();
    if (updated) return;
    const batch = await db.selectFrom('payout_batches').select('status').where('id', '=', batchId).executeTakeFirst();
    if (!batch) throw new NotFoundError('payout_batch', batchId);
    throw new ConflictError(`Payout batch ${batchId} is ${batch.status}, not held`, { batchId, status: batch.status }, 'payout_batch_state_conflict');
  }

  async #move(payoutId: PayoutId, move: PayoutMove, action: string, extra: { providerReference?: string | null; failureReason?: string | null }): Promise<MovedPayout> {
    const [moved] = await this.deps.db.transaction((trx) => movePayouts(trx, this.deps, move, [{ payoutId, ...extra }]));
    if (moved) return moved;
    const row = await this.deps.db.kysely.selectFrom('payouts').select('status').where('id', '=', payoutId).executeTakeFirst();
    if (!row) throw new NotFoundError('payout', payoutId);
    throw new PayoutStateConflictError(payoutId, row.status, action);
  }
}
