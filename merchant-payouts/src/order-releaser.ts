import {
  nextId,
  settlementPosting,
  type CheckoutId,
  type Clock,
  type CryptoAsset,
  type FiatCurrency,
  type RandomSource,
  type StoreId,
} from '@coinstile/core';
import { LedgerRepository, OutboxRepository, type Database, type DB } from '@coinstile/platform';
import type { Kysely } from 'kysely';
import { fxSpreadMinor, mallFeeMinor } from './fees';
import { PipelineRefusedError } from './pipeline-errors';
import { orderReleasedEventId, type OrderReleasedEvent } from './pipeline-events';
import { pipelineKysely } from './pipeline-schema';

export type ReleaseOutcome = 'released' | 'already_released';

export interface OrderReleaserDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Releases a settled checkout's order, once. In one transaction: the `order_releases` row (its primary
 * key is the checkout id, so a second release inserts nothing and does nothing else), the settlement
 * posting (crypto received, fiat owed to the store, the mall's fee, the FX spread), and the
 * `order.released` event in the outbox. A crash anywhere leaves all of it or none of it.
 */
export class OrderReleaser {
  readonly #ledger: LedgerRepository;
  readonly #outbox: OutboxRepository;

  constructor(private readonly deps: OrderReleaserDeps) {
    this.#ledger = new LedgerRepository(deps.db);
    this.#outbox = new OutboxRepository(deps.db);
  }

  /** Releases in `executor`'s transaction when given (its caller commits), else in a transaction of its own. */
  async release(checkoutId: CheckoutId, executor?: Kysely<DB>): Promise<ReleaseOutcome> {
    return executor ? this.#release(checkoutId, executor) : this.deps.db.transaction((trx) => this.#release(checkoutId, trx));
  }

  async #release(checkoutId: CheckoutId, trx: Kysely<DB>): Promise<ReleaseOutcome> {
    const db = pipelineKysely(trx);
    const checkout = await db
      .selectFrom('checkouts')
      .innerJoin('stores', 'stores.id', 'checkouts.store_id')
      .leftJoin('quotes', 'quotes.id', 'checkouts.quote_id')
      .select([
        'checkouts.id',
        'checkouts.store_id',
        'checkouts.order_id',
        'checkouts.status',
        'checkouts.price_minor',
        'checkouts.currency',
        'checkouts.asset',
        'checkouts.rate',
        'checkouts.amount_due_base',
        'checkouts.amount_paid_base',
        'checkouts.counted_payment_ids',
        'checkouts.escrow',
        'checkouts.items',
        'checkouts.metadata',
        'stores.fee_bps',
        'stores.fee_fixed_minor',
        'quotes.spread_bps',
      ])
      .where('checkouts.id', '=', checkoutId)
      .executeTakeFirst();
    if (!checkout) throw new PipelineRefusedError('unknown_checkout', `No checkout ${checkoutId}`, checkoutId);
    if (checkout.status !== 'settled' || checkout.asset === null) {
      throw new PipelineRefusedError('checkout_not_settled', `Checkout ${checkoutId} is ${checkout.status}, not settled`, checkoutId);
    }
    const now = this.deps.clock.now();
    const priceMinor = BigInt(checkout.price_minor);
    const feeMinor = mallFeeMinor(priceMinor, checkout.fee_bps, BigInt(checkout.fee_fixed_minor));
    const eventId = orderReleasedEventId(checkoutId);
    const inserted = await db
      .insertInto('order_releases')
      .values({
        checkout_id: checkoutId,
        store_id: checkout.store_id,
        event_id: eventId,
        currency: checkout.currency,
        price_minor: priceMinor.toString(),
        fee_minor: feeMinor.toString(),
        escrow: checkout.escrow,
        released_at: now,
      })
      .onConflict((oc) => oc.column('checkout_id').doNothing())
      .returning('checkout_id')
      .executeTakeFirst();
    if (!inserted) return 'already_released';

    const payments =
      checkout.counted_payment_ids.length === 0
        ? []
        : await db
            .selectFrom('payments')
            .select(['id', 'txid', 'output_index', 'amount_base', 'confirmations'])
            .where('id', 'in', checkout.counted_payment_ids)
            .orderBy('id')
            .execute();
    const storeId = checkout.store_id as StoreId;
    const currency = checkout.currency as FiatCurrency;
    const asset = checkout.asset as CryptoAsset;
    const amountReceivedBase = BigInt(checkout.amount_paid_base);
    await this.#ledger.append(
      settlementPosting({
        meta: {
          postingId: nextId('lp', this.deps.clock, this.deps.random),
          dedupeKey: `settlement:${checkoutId}`,
          occurredAt: now,
          storeId,
          checkoutId,
        },
        storeId,
        asset,
        amountReceivedBase,
        currency,
        priceMinor,
        feeMinor,
        spreadMinor: fxSpreadMinor(priceMinor, checkout.spread_bps ?? 0),
        escrow: checkout.escrow,
      }),
      trx,
    );
    const event: OrderReleasedEvent = {
      type: 'order.released',
      storeId,
      checkoutId,
      orderId: checkout.order_id,
      items: checkout.items,
      metadata: checkout.metadata,
      priceMinor,
      currency,
      asset,
      rate: checkout.rate,
      amountDueBase: checkout.amount_due_base === null ? null : BigInt(checkout.amount_due_base),
      amountReceivedBase,
      txids: [...new Set(payments.map((p) => p.txid))],
      payments: payments.map((p) => ({
        txid: p.txid,
        outputIndex: p.output_index,
        amountBase: BigInt(p.amount_base),
        confirmations: p.confirmations,
      })),
      feeMinor,
      netMinor: priceMinor - feeMinor,
      escrow: checkout.escrow,
      releasedAt: now,
    };
    await this.#outbox.append(trx, [
      { eventId, eventType: event.type, aggregateType: 'checkout', aggregateId: checkoutId, payload: event },
    ]);
    return 'released';
  }
}
