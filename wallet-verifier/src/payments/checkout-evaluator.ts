import {
  evaluate,
  ID_RANDOM_BYTES,
  makeId,
  paymentReversalPosting,
  type CheckoutEvent,
  type CheckoutId,
  type Clock,
  type RandomSource,
} from '@coinstile/core';
import { CheckoutRepository, LedgerRepository, type Database, type DB } from '@coinstile/platform';
import type { Kysely } from 'kysely';
import { paymentsOfCheckout } from './payment-store';
import { storePolicyFromJson } from './store-policy-reader';
import { asVerifierDb } from './verifier-schema';

/** What one evaluation did. */
export type EvaluationOutcome = 'unchanged' | 'written' | 'missing';

/** Another writer kept moving the checkout's version: more CAS attempts than `maxAttempts` failed. */
export class EvaluationContendedError extends Error {
  override readonly name = 'EvaluationContendedError';
  constructor(readonly checkoutId: CheckoutId, attempts: number) {
    super(`checkout ${checkoutId}: compare-and-set lost ${attempts} times in a row`);
  }
}

export interface CheckoutEvaluatorOptions {
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Called with the events of every written transition (metrics, logs). */
  readonly onEvents?: (events: readonly CheckoutEvent[]) => void;
  readonly maxAttempts?: number;
}

/**
 * Applies core's `evaluate` to a checkout and writes the result (chain-agnostic; the sweeper and every
 * follower share it). In ONE transaction: the checkout, all its payments and its store's policy are read,
 * `evaluate` runs, and `compareAndSet` writes the next state with its outbox events; a `payment.reversed`
 * event books its correcting ledger posting (`paymentReversalPosting`, deduplicated per payment) in the
 * same transaction. A lost race (another instance, the sweeper) is retried on fresh data.
 */
export class CheckoutEvaluator {
  readonly #checkouts: CheckoutRepository;
  readonly #ledger: LedgerRepository;

  constructor(
    private readonly db: Database,
    private readonly options: CheckoutEvaluatorOptions,
  ) {
    this.#checkouts = new CheckoutRepository(db);
    this.#ledger = new LedgerRepository(db);
  }

  async evaluate(checkoutId: CheckoutId): Promise<EvaluationOutcome> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const result = await this.db.transaction((trx) => this.#attempt(trx, checkoutId));
      if (result !== 'lost_race') {
        if (result.events.length > 0) this.options.onEvents?.(result.events);
        return result.outcome;
      }
    }
    throw new EvaluationContendedError(checkoutId, maxAttempts);
  }

  /** Evaluates each checkout, `concurrency` at a time; returns how many were written. */
  async evaluateAll(checkoutIds: Iterable<CheckoutId>, concurrency = 4): Promise<number> {
    const queue = [...new Set(checkoutIds)];
    let written = 0;
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        if ((await this.evaluate(id)) === 'written') written++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    return written;
  }

  async #attempt(
    trx: Kysely<DB>,
    checkoutId: CheckoutId,
  ): Promise<{ outcome: EvaluationOutcome; events: readonly CheckoutEvent[] } | 'lost_race'> {
    const checkout = await this.#checkouts.findById(checkoutId, trx);
    if (checkout === null) return { outcome: 'missing', events: [] };
    const store = await trx.selectFrom('stores').select('policy').where('id', '=', checkout.storeId).executeTakeFirst();
    const policy = storePolicyFromJson(store?.policy);
    const payments = await paymentsOfCheckout(asVerifierDb(trx), checkoutId);
    const now = this.options.clock.now();
    const { next, events } = evaluate(checkout, payments, now, policy);
    if (next === checkout) return { outcome: 'unchanged', events: [] };
    if (!(await this.#checkouts.compareAndSet(next, checkout.version, events, trx))) return 'lost_race';
    for (const event of events) {
      if (event.type !== 'payment.reversed' || checkout.asset === null) continue;
      await this.#ledger.append(
        paymentReversalPosting({
          meta: {
            postingId: makeId('lp', now.getTime(), this.options.random.bytes(ID_RANDOM_BYTES)),
            dedupeKey: `payment_reversal:${event.payment.paymentId}`,
            occurredAt: now,
            storeId: checkout.storeId,
            checkoutId: checkout.id,
            paymentId: event.payment.paymentId,
            memo: `payment ${event.payment.txid}:${event.payment.outputIndex} ${event.payment.state} after settlement`,
          },
          asset: checkout.asset,
          amountBase: event.payment.amountBase,
        }),
        trx,
      );
    }
    return { outcome: 'written', events };
  }
}
