import { nextId, type CheckoutId, type Clock, type FiatCurrency, type PayoutId, type RandomSource, type StoreId } from '@coinstile/core';
import { OutboxRepository, type Database, type DB } from '@coinstile/platform';
import { sql, type Kysely } from 'kysely';
import { parsePayoutSchedule, payoutDueAt } from './payout-schedule';
import { PipelineRefusedError } from './pipeline-errors';
import { payoutEventId, type PayoutEvent } from './pipeline-events';
import { pipelineKysely } from './pipeline-schema';

export type ScheduleOutcome = 'scheduled' | 'reserved' | 'already_scheduled';

export interface PayoutSchedulerDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
}

/**
 * Creates the one payout of a released order: net of the mall's fee booked at release, `reserved` when
 * the checkout is under escrow (the escrow flow releases it later), else `scheduled` and due per the
 * store's schedule. `payouts.checkout_id` is unique, so a second run inserts nothing and announces
 * nothing. The `payout.scheduled` / `payout.reserved` event is written in the same transaction.
 *
 * For a threshold schedule, the store's waiting payouts all fall due together once they add up to the
 * minimum; the store row is locked for that check so concurrent schedulers cannot both miss it.
 */
export class PayoutScheduler {
  readonly #outbox: OutboxRepository;

  constructor(private readonly deps: PayoutSchedulerDeps) {
    this.#outbox = new OutboxRepository(deps.db);
  }

  /** Schedules in `executor`'s transaction when given (its caller commits), else in a transaction of its own. */
  async schedule(checkoutId: CheckoutId, executor?: Kysely<DB>): Promise<ScheduleOutcome> {
    return executor ? this.#schedule(checkoutId, executor) : this.deps.db.transaction((trx) => this.#schedule(checkoutId, trx));
  }

  async #schedule(checkoutId: CheckoutId, trx: Kysely<DB>): Promise<ScheduleOutcome> {
    const db = pipelineKysely(trx);
    const release = await db
      .selectFrom('order_releases')
      .innerJoin('checkouts', 'checkouts.id', 'order_releases.checkout_id')
      .innerJoin('stores', 'stores.id', 'order_releases.store_id')
      .select([
        'order_releases.store_id',
        'order_releases.currency',
        'order_releases.price_minor',
        'order_releases.fee_minor',
        'order_releases.escrow',
        'checkouts.order_id',
        'stores.payout_schedule',
      ])
      .where('order_releases.checkout_id', '=', checkoutId)
      .executeTakeFirst();
    if (!release) throw new PipelineRefusedError('not_released', `Checkout ${checkoutId} has not been released`, checkoutId);
    const schedule = parsePayoutSchedule(release.payout_schedule);
    const now = this.deps.clock.now();
    const status = release.escrow ? 'reserved' : 'scheduled';
    const dueAt = release.escrow ? null : payoutDueAt(schedule, now);
    const feeMinor = BigInt(release.fee_minor);
    const amountMinor = BigInt(release.price_minor) - feeMinor;
    const payoutId = nextId('po', this.deps.clock, this.deps.random);
    const inserted = await db
      .insertInto('payouts')
      .values({
        id: payoutId,
        store_id: release.store_id,
        checkout_id: checkoutId,
        amount_minor: amountMinor.toString(),
        fee_minor: feeMinor.toString(),
        currency: release.currency,
        status,
        due_at: dueAt,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('checkout_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return 'already_scheduled';

    if (status === 'scheduled' && schedule.kind === 'threshold') {
      await db.selectFrom('stores').select('id').where('id', '=', release.store_id).forUpdate().execute();
      const waiting = await db
        .selectFrom('payouts')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('amount_minor'), sql<string>`0`).as('total'))
        .where('store_id', '=', release.store_id)
        .where('status', '=', 'scheduled')
        .where('due_at', 'is', null)
        .executeTakeFirstOrThrow();
      if (BigInt(waiting.total) >= schedule.minimumMinor) {
        await db
          .updateTable('payouts')
          .set({ due_at: now, updated_at: now })
          .where('store_id', '=', release.store_id)
          .where('status', '=', 'scheduled')
          .where('due_at', 'is', null)
          .execute();
      }
    }

    const type = status === 'reserved' ? 'payout.reserved' : 'payout.scheduled';
    const event: PayoutEvent = {
      type,
      payoutId: payoutId as PayoutId,
      storeId: release.store_id as StoreId,
      checkoutId,
      orderId: release.order_id,
      amountMinor,
      feeMinor,
      currency: release.currency as FiatCurrency,
      status,
      dueAt,
      scheduledAt: now,
    };
    await this.#outbox.append(trx, [
      { eventId: payoutEventId(checkoutId, type), eventType: type, aggregateType: 'payout', aggregateId: payoutId, payload: event },
    ]);
    return status;
  }
}
