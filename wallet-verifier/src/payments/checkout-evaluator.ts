import {
  evaluate,
  type Checkout,
  type Payment,
  type StorePolicy,
  ID_RANDOM_BYTES,
  makeId,
  paymentReversalPosting,
  type CheckoutEvent,
  type CheckoutId,
  type Clock,
  type RandomSource,
} from '@coinstile/core';
import { CheckoutRepository, checkoutEventMessage, checkoutFromRow, LedgerRepository, OutboxRepository, type Database, type DB } from '@coinstile/platform';
import { sql, type Kysely } from 'kysely';
import { paymentFromRow, paymentsOfCheckout } from './payment-store';
import { storePolicyFromJson } from './store-policy-reader';
import { asVerifierDb } from './verifier-schema';

/** Checkouts read and written per transaction by `evaluateAll`. */
const BATCH_SIZE = 500;

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
  readonly #outbox: OutboxRepository;

  constructor(
    private readonly db: Database,
    private readonly options: CheckoutEvaluatorOptions,
  ) {
    this.#checkouts = new CheckoutRepository(db);
    this.#ledger = new LedgerRepository(db);
    this.#outbox = new OutboxRepository(db);
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

  /**
   * Evaluates many checkouts (a block paying thousands): in chunks of `BATCH_SIZE`, each ONE transaction
   * reading the chunk's checkouts, payments and policies in three queries and writing every changed
   * checkout by compare-and-set with its events. A checkout whose CAS lost a race is evaluated again on
   * its own. `concurrency` chunks run at once. Returns how many checkouts were written.
   */
  async evaluateAll(checkoutIds: Iterable<CheckoutId>, concurrency = 2): Promise<number> {
    const ids = [...new Set(checkoutIds)];
    const chunks: CheckoutId[][] = [];
    for (let i = 0; i < ids.length; i += BATCH_SIZE) chunks.push(ids.slice(i, i + BATCH_SIZE));
    let written = 0;
    const lost: CheckoutId[] = [];
    const worker = async (): Promise<void> => {
      for (let chunk = chunks.shift(); chunk !== undefined; chunk = chunks.shift()) {
        const result = await this.db.transaction((trx) => this.#attemptChunk(trx, chunk));
        written += result.written;
        lost.push(...result.lost);
        if (result.events.length > 0) this.options.onEvents?.(result.events);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
    for (const id of lost) if ((await this.evaluate(id)) === 'written') written++;
    return written;
  }

  async #attemptChunk(
    trx: Kysely<DB>,
    ids: readonly CheckoutId[],
  ): Promise<{ written: number; lost: CheckoutId[]; events: CheckoutEvent[] }> {
    const rows = await trx.selectFrom('checkouts').selectAll().where('id', 'in', [...ids]).execute();
    if (rows.length === 0) return { written: 0, lost: [], events: [] };
    const paymentRows = await trx.selectFrom('payments').selectAll().where('checkout_id', 'in', [...ids]).orderBy('id').execute();
    const storeIds = [...new Set(rows.map((r) => r.store_id))];
    const stores = await trx.selectFrom('stores').select(['id', 'policy']).where('id', 'in', storeIds).execute();
    const policies = new Map(stores.map((st) => [st.id, storePolicyFromJson(st.policy)]));
    const paymentsBy = new Map<string, Payment[]>();
    for (const row of paymentRows) {
      const list = paymentsBy.get(row.checkout_id) ?? [];
      list.push(paymentFromRow(row));
      paymentsBy.set(row.checkout_id, list);
    }
    const now = this.options.clock.now();
    const changes: { checkout: Checkout; next: Checkout; events: readonly CheckoutEvent[] }[] = [];
    for (const row of rows) {
      const checkout = checkoutFromRow(row);
      const policy = policies.get(row.store_id) ?? storePolicyFromJson(undefined);
      const { next, events } = evaluate(checkout, paymentsBy.get(row.id) ?? [], now, policy);
      if (next !== checkout) changes.push({ checkout, next, events });
    }
    if (changes.length === 0) return { written: 0, lost: [], events: [] };
    const won = await compareAndSetMany(trx, changes);
    const lost: CheckoutId[] = [];
    const events: CheckoutEvent[] = [];
    for (const change of changes) {
      if (!won.has(change.checkout.id)) lost.push(change.checkout.id);
      else events.push(...change.events);
    }
    await this.#outbox.append(trx, events.map(checkoutEventMessage));
    for (const change of changes) {
      if (won.has(change.checkout.id)) await this.#bookReversals(trx, change.checkout, change.events, now);
    }
    return { written: won.size, lost, events };
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
    return this.#write(trx, checkout, payments, policy, this.options.clock.now());
  }

  /** `evaluate`, then the compare-and-set with its events and any reversal postings, in `trx`. */
  async #write(
    trx: Kysely<DB>,
    checkout: Checkout,
    payments: readonly Payment[],
    policy: StorePolicy,
    now: Date,
  ): Promise<{ outcome: EvaluationOutcome; events: readonly CheckoutEvent[] } | 'lost_race'> {
    const { next, events } = evaluate(checkout, payments, now, policy);
    if (next === checkout) return { outcome: 'unchanged', events: [] };
    if (!(await this.#checkouts.compareAndSet(next, checkout.version, events, trx))) return 'lost_race';
    await this.#bookReversals(trx, checkout, events, now);
    return { outcome: 'written', events };
  }

  /** The correcting ledger posting of each `payment.reversed` event (deduplicated per payment). */
  async #bookReversals(trx: Kysely<DB>, checkout: Checkout, events: readonly CheckoutEvent[], now: Date): Promise<void> {
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
  }
}

/**
 * Compare-and-set of many checkouts in one statement: each row is written only if its version is still
 * the one evaluated; returns the ids written. Only the columns `evaluate` changes are set (status,
 * exception, invalid reason, amount paid, counted and reversed payments, settled at, version).
 */
async function compareAndSetMany(
  trx: Kysely<DB>,
  changes: readonly { checkout: Checkout; next: Checkout }[],
): Promise<Set<CheckoutId>> {
  const rows = changes.map(({ checkout, next }) => ({
    id: next.id,
    expected: checkout.version,
    version: next.version,
    status: next.status,
    exception: next.exception,
    invalid_reason: next.invalidReason,
    amount_paid_base: next.amountPaidBase.toString(),
    counted: next.countedPaymentIds,
    reversed: next.reversedPaymentIds,
    settled_at: next.settledAt?.toISOString() ?? null,
  }));
  const result = await sql<{ id: string }>`
    UPDATE checkouts AS c SET
      status = v.status, exception = v.exception, invalid_reason = v.invalid_reason,
      amount_paid_base = v.amount_paid_base, counted_payment_ids = v.counted, reversed_payment_ids = v.reversed,
      settled_at = v.settled_at, version = v.version
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(
      id text, expected integer, version integer, status text, exception text, invalid_reason text,
      amount_paid_base numeric, counted text[], reversed text[], settled_at timestamptz)
    WHERE c.id = v.id AND c.version = v.expected
    RETURNING c.id`.execute(trx);
  return new Set(result.rows.map((r) => r.id as CheckoutId));
}

