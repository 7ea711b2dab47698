import {
  nextId,
  settlementPosting,
  tenderedSettlementPosting,
  type CheckoutId,
  type Clock,
  type CryptoAsset,
  type FiatCurrency,
  type OutboxMessage,
  type PayoutId,
  type Posting,
  type RandomSource,
  type StoreId,
} from '@coinstile/core';
import { appendPostings, captureTendersIn, OutboxRepository, voucherRedeemedMessage, type Database, type DB, type TenderRecord } from '@coinstile/platform';
import { sql, type Kysely } from 'kysely';
import { fxSpreadMinor, mallFeeMinor } from './fees';
import { parsePayoutSchedule, payoutDueAt, type PayoutSchedule } from './payout-schedule';
import { PipelineRefusedError } from './pipeline-errors';
import { orderReleasedEventId, payoutEventId, type OrderReleasedEvent, type PayoutEvent } from './pipeline-events';
import { pipelineKysely, type PipelineDB } from './pipeline-schema';
import { issueReceipts, type ReceiptSigner } from './receipts/receipt-issuer';
import { creditShopperBalances } from './shopper-balance-credits';


/** `top_up_credited`: a shopper's top-up checkout, credited to the balance instead of released. */
export type ReleaseOutcome = 'released' | 'already_released' | 'top_up_credited' | 'top_up_already_credited';
export type ScheduleOutcome = 'scheduled' | 'reserved' | 'already_scheduled' | 'none';

export interface SettlementOutcome {
  readonly release: ReleaseOutcome;
  readonly payout: ScheduleOutcome;
}

/** Per checkout: what happened, or why it can never be processed. */
export type SettlementResult = SettlementOutcome | PipelineRefusedError;

export interface SettlementProcessorDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly random: RandomSource;
  /**
   * Signs each release's receipt in the release transaction, so `order.released` carries it. Called
   * before each transaction: the signer opens its key store on first use, which must happen outside any
   * transaction (PGlite has one connection). Without it releases carry no receipt.
   */
  readonly receipts?: () => Promise<ReceiptSigner>;
}

interface Release {
  readonly checkoutId: CheckoutId;
  readonly storeId: StoreId;
  readonly orderId: string;
  readonly currency: FiatCurrency;
  readonly priceMinor: bigint;
  readonly feeMinor: bigint;
  readonly escrow: boolean;
  readonly schedule: PayoutSchedule;
}

/**
 * What happens to a settled checkout, for a batch of checkouts at once, in one transaction:
 *
 * 1. **Release, once**: an `order_releases` row (its primary key is the checkout id: a second release
 *    inserts nothing and does nothing else), the settlement posting (crypto received, fiat owed to the
 *    store net of the mall's fee, the fee, the FX spread; escrowed when the checkout is), and
 *    `order.released` in the outbox.
 * 2. **Payout, once**: a `payouts` row (unique per checkout) for the price less the fee booked at release,
 *    `reserved` under escrow, else `scheduled` and due per the store's schedule (instant, daily at a time
 *    in the store's zone, or once its waiting payouts reach a threshold), and `payout.scheduled` /
 *    `payout.reserved` in the outbox.
 *
 * Every step is a set-based statement over the whole batch (a constant number of round trips whatever
 * its size) with rows in checkout-id order, so concurrent batches that overlap lock in the same order.
 * A checkout that does not exist or is not settled is refused (its own result), never the batch.
 */
export class SettlementProcessor {
  readonly #outbox: OutboxRepository;

  constructor(private readonly deps: SettlementProcessorDeps) {
    this.#outbox = new OutboxRepository(deps.db);
  }

  /** One checkout; throws `PipelineRefusedError` when it cannot be processed. */
  async process(checkoutId: CheckoutId): Promise<SettlementOutcome> {
    const result = (await this.processMany([checkoutId])).get(checkoutId);
    if (result === undefined) throw new Error(`no result for ${checkoutId}`);
    if (result instanceof PipelineRefusedError) throw result;
    return result;
  }

  async processMany(checkoutIds: readonly CheckoutId[]): Promise<Map<CheckoutId, SettlementResult>> {
    const ids = [...new Set(checkoutIds)].sort();
    if (ids.length === 0) return new Map();
    const receipts = this.deps.receipts === undefined ? undefined : await this.deps.receipts();
    return this.deps.db.transaction((trx) => this.#processMany(ids, trx, receipts));
  }

  async #processMany(ids: readonly CheckoutId[], trx: Kysely<DB>, receipts: ReceiptSigner | undefined): Promise<Map<CheckoutId, SettlementResult>> {
    const db = pipelineKysely(trx);
    const now = this.deps.clock.now();
    const results = new Map<CheckoutId, SettlementResult>();
    const rows = await db
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
        'stores.payout_schedule',
        'quotes.spread_bps',
        'checkouts.purpose',
        'checkouts.shopper_account_id',
      ])
      .where('checkouts.id', 'in', ids)
      .execute();
    const byId = new Map(rows.map((r) => [r.id as CheckoutId, r]));
    // Tenders (vouchers, shopper balances) of settled checkouts are captured here, with their release; a
    // checkout they cover entirely settled without an asset.
    const tendersOf = await captureTendersIn(trx, rows.filter((r) => r.status === 'settled').map((r) => r.id), now);
    const settled: typeof rows = [];
    const topUps: typeof rows = [];
    for (const id of ids) {
      const row = byId.get(id);
      if (!row) results.set(id, new PipelineRefusedError('unknown_checkout', `No checkout ${id}`, id));
      else if (row.status !== 'settled' || (row.asset === null && !tendersOf.has(id))) {
        results.set(id, new PipelineRefusedError('checkout_not_settled', `Checkout ${id} is ${row.status}, not settled`, id));
      } else if (row.purpose === 'top_up') topUps.push(row);
      else settled.push(row);
    }
    if (topUps.length > 0) {
      // A shopper's top-up is credited to the balance, never released to the store that received it.
      const credited = await creditShopperBalances(trx, topUps, new Set(), this.deps, now);
      await appendPostings(trx, credited.postings);
      await this.#outbox.append(trx, credited.messages);
      for (const r of topUps) results.set(r.id as CheckoutId, { release: credited.toppedUp.has(r.id) ? 'top_up_credited' : 'top_up_already_credited', payout: 'none' });
    }
    if (settled.length === 0) return results;

    // 1. Releases: only the rows inserted now get a posting and an event.
    const releaseRows = settled.map((r) => {
      const priceMinor = BigInt(r.price_minor);
      return {
        checkout_id: r.id,
        store_id: r.store_id,
        event_id: orderReleasedEventId(r.id as CheckoutId),
        currency: r.currency,
        price_minor: priceMinor.toString(),
        fee_minor: mallFeeMinor(priceMinor, r.fee_bps, BigInt(r.fee_fixed_minor)).toString(),
        escrow: r.escrow,
      };
    });
    // Bulk rows travel as one JSON document per statement (a batch is hundreds of rows): one bind
    // parameter instead of one per column and row. Inserted in checkout-id order (the lock order).
    const inserted = await sql<{ checkout_id: string }>`
      INSERT INTO order_releases (checkout_id, store_id, event_id, currency, price_minor, fee_minor, escrow, released_at)
      SELECT r.checkout_id, r.store_id, r.event_id, r.currency, r.price_minor, r.fee_minor, r.escrow, ${now}
        FROM jsonb_to_recordset(${JSON.stringify(releaseRows)}::jsonb)
          AS r(checkout_id text, store_id text, event_id text, currency text, price_minor bigint, fee_minor bigint, escrow boolean)
       ORDER BY r.checkout_id
      ON CONFLICT (checkout_id) DO NOTHING
      RETURNING checkout_id`.execute(trx);
    const newlyReleased = new Set(inserted.rows.map((r) => r.checkout_id));
    const messages: OutboxMessage[] = [];
    const released = settled.filter((r) => newlyReleased.has(r.id));
    if (released.length > 0) {
      const issued = receipts === undefined ? new Map() : await issueReceipts(trx, released.map((r) => r.id as CheckoutId), receipts);
      const receiptOf = (id: CheckoutId): string | null => {
        const receipt = issued.get(id);
        return receipt === undefined || receipt instanceof Error ? null : receipt.jws;
      };
      const paymentIds = released.flatMap((r) => r.counted_payment_ids);
      const payments =
        paymentIds.length === 0
          ? []
          : await db
              .selectFrom('payments')
              .select(['id', 'checkout_id', 'txid', 'output_index', 'amount_base', 'confirmations'])
              .where('id', 'in', paymentIds)
              .orderBy('id')
              .execute();
      const paymentsOf = new Map<string, (typeof payments)[number][]>();
      for (const p of payments) {
        const list = paymentsOf.get(p.checkout_id);
        if (list === undefined) paymentsOf.set(p.checkout_id, [p]);
        else list.push(p);
      }
      const postings: Posting[] = [];
      for (const r of released) {
        const checkoutId = r.id as CheckoutId;
        const storeId = r.store_id as StoreId;
        const currency = r.currency as FiatCurrency;
        const asset = r.asset as CryptoAsset | null;
        const priceMinor = BigInt(r.price_minor);
        const feeMinor = mallFeeMinor(priceMinor, r.fee_bps, BigInt(r.fee_fixed_minor));
        const amountReceivedBase = BigInt(r.amount_paid_base);
        const paid = paymentsOf.get(r.id) ?? [];
        const meta = { postingId: nextId('lp', this.deps.clock, this.deps.random), dedupeKey: `settlement:${checkoutId}`, occurredAt: now, storeId, checkoutId };
        const tenders: readonly TenderRecord[] = tendersOf.get(checkoutId) ?? [];
        if (tenders.length === 0 && asset !== null) {
          postings.push(
            settlementPosting({ meta, storeId, asset, amountReceivedBase, currency, priceMinor, feeMinor, spreadMinor: fxSpreadMinor(priceMinor, r.spread_bps ?? 0), escrow: r.escrow }),
          );
        } else {
          const cryptoPartMinor = priceMinor - tenders.reduce((sum, t) => sum + t.amountMinor, 0n);
          postings.push(
            tenderedSettlementPosting({
              meta,
              storeId,
              asset: cryptoPartMinor > 0n ? asset : null,
              amountReceivedBase: cryptoPartMinor > 0n ? amountReceivedBase : 0n,
              currency,
              priceMinor,
              feeMinor,
              spreadMinor: cryptoPartMinor > 0n ? fxSpreadMinor(cryptoPartMinor, r.spread_bps ?? 0) : 0n,
              escrow: r.escrow,
              tenders,
            }),
          );
          for (const t of tenders) if (t.kind === 'voucher') messages.push(voucherRedeemedMessage(t, storeId, now));
        }
        const event: OrderReleasedEvent = {
          type: 'order.released',
          storeId,
          checkoutId,
          orderId: r.order_id,
          items: r.items,
          metadata: r.metadata,
          priceMinor,
          currency,
          asset,
          rate: r.rate,
          amountDueBase: r.amount_due_base === null ? null : BigInt(r.amount_due_base),
          amountReceivedBase,
          txids: [...new Set(paid.map((p) => p.txid))],
          payments: paid.map((p) => ({ txid: p.txid, outputIndex: p.output_index, amountBase: BigInt(p.amount_base), confirmations: p.confirmations })),
          feeMinor,
          netMinor: priceMinor - feeMinor,
          escrow: r.escrow,
          releasedAt: now,
          receipt: receiptOf(checkoutId),
          tenders: tenders.map((t) => ({ kind: t.kind, sourceId: t.sourceId, amountMinor: t.amountMinor })),
        };
        messages.push({ eventId: orderReleasedEventId(checkoutId), eventType: event.type, aggregateType: 'checkout', aggregateId: checkoutId, payload: event });
      }
      // Over-payments of sales linked to a shopper account go to its balance, with the release.
      const overpaid = await creditShopperBalances(trx, released, newlyReleased, this.deps, now);
      postings.push(...overpaid.postings);
      messages.push(...overpaid.messages);
      await appendPostings(trx, postings);
    }

    // 2. Payouts, from the stored releases (also those released by an earlier run that stopped short).
    const releases = await db
      .selectFrom('order_releases')
      .innerJoin('checkouts', 'checkouts.id', 'order_releases.checkout_id')
      .innerJoin('stores', 'stores.id', 'order_releases.store_id')
      .select([
        'order_releases.checkout_id',
        'order_releases.store_id',
        'order_releases.currency',
        'order_releases.price_minor',
        'order_releases.fee_minor',
        'order_releases.escrow',
        'checkouts.order_id',
        'stores.payout_schedule',
      ])
      .where('order_releases.checkout_id', 'in', settled.map((r) => r.id))
      .orderBy('order_releases.checkout_id')
      .execute();
    const toPay: Release[] = releases.map((r) => ({
      checkoutId: r.checkout_id as CheckoutId,
      storeId: r.store_id as StoreId,
      orderId: r.order_id,
      currency: r.currency as FiatCurrency,
      priceMinor: BigInt(r.price_minor),
      feeMinor: BigInt(r.fee_minor),
      escrow: r.escrow,
      schedule: parsePayoutSchedule(r.payout_schedule),
    }));
    const planned = toPay.map((r) => ({
      release: r,
      payoutId: nextId('po', this.deps.clock, this.deps.random) as PayoutId,
      status: r.escrow ? ('reserved' as const) : ('scheduled' as const),
      dueAt: r.escrow ? null : payoutDueAt(r.schedule, now),
    }));
    const payoutRows = planned.map((p) => ({
      id: p.payoutId,
      store_id: p.release.storeId,
      checkout_id: p.release.checkoutId,
      amount_minor: (p.release.priceMinor - p.release.feeMinor).toString(),
      fee_minor: p.release.feeMinor.toString(),
      currency: p.release.currency,
      status: p.status,
      due_at: p.dueAt === null ? null : p.dueAt.toISOString(),
    }));
    const insertedPayouts =
      payoutRows.length === 0
        ? { rows: [] }
        : await sql<{ checkout_id: string }>`
            INSERT INTO payouts (id, store_id, checkout_id, amount_minor, fee_minor, currency, status, due_at, created_at, updated_at)
            SELECT p.id, p.store_id, p.checkout_id, p.amount_minor, p.fee_minor, p.currency, p.status, p.due_at, ${now}, ${now}
              FROM jsonb_to_recordset(${JSON.stringify(payoutRows)}::jsonb)
                AS p(id text, store_id text, checkout_id text, amount_minor bigint, fee_minor bigint, currency text, status text, due_at timestamptz)
             ORDER BY p.checkout_id
            ON CONFLICT (checkout_id) DO NOTHING
            RETURNING checkout_id`.execute(trx);
    const newlyPaid = new Set(insertedPayouts.rows.map((r) => r.checkout_id));
    const thresholdStores = new Map<StoreId, bigint>();
    for (const p of planned) {
      if (!newlyPaid.has(p.release.checkoutId)) continue;
      if (p.status === 'scheduled' && p.release.schedule.kind === 'threshold') thresholdStores.set(p.release.storeId, p.release.schedule.minimumMinor);
      const type = p.status === 'reserved' ? 'payout.reserved' : 'payout.scheduled';
      const event: PayoutEvent = {
        type,
        payoutId: p.payoutId,
        storeId: p.release.storeId,
        checkoutId: p.release.checkoutId,
        orderId: p.release.orderId,
        amountMinor: p.release.priceMinor - p.release.feeMinor,
        feeMinor: p.release.feeMinor,
        currency: p.release.currency,
        status: p.status,
        dueAt: p.dueAt,
        scheduledAt: now,
      };
      messages.push({ eventId: payoutEventId(p.release.checkoutId, type), eventType: type, aggregateType: 'payout', aggregateId: p.payoutId, payload: event });
    }
    for (const [storeId, minimumMinor] of [...thresholdStores].sort(([a], [b]) => (a < b ? -1 : 1))) {
      await releaseThresholdPayouts(db, storeId, minimumMinor, now);
    }
    await this.#outbox.append(trx, messages);

    const payoutStatus = new Map(planned.map((p) => [p.release.checkoutId, p.status]));
    for (const r of settled) {
      const id = r.id as CheckoutId;
      results.set(id, {
        release: newlyReleased.has(id) ? 'released' : 'already_released',
        payout: newlyPaid.has(id) ? (payoutStatus.get(id) ?? 'already_scheduled') : 'already_scheduled',
      });
    }
    return results;
  }
}


/**
 * A threshold store's waiting payouts all fall due together once they add up to its minimum. The store
 * row is locked first, so two transactions cannot both read a total just below the minimum.
 */
export async function releaseThresholdPayouts(db: Kysely<PipelineDB>, storeId: StoreId, minimumMinor: bigint, now: Date): Promise<void> {
  // NO KEY UPDATE, not UPDATE: it serialises threshold checks of one store but does not conflict with the
  // KEY SHARE locks that this and other transactions' foreign-key checks already hold on the store row.
  await db.selectFrom('stores').select('id').where('id', '=', storeId).forNoKeyUpdate().execute();
  const waiting = await db
    .selectFrom('payouts')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('amount_minor'), sql<string>`0`).as('total'))
    .where('store_id', '=', storeId)
    .where('status', '=', 'scheduled')
    .where('due_at', 'is', null)
    .executeTakeFirstOrThrow();
  if (BigInt(waiting.total) < minimumMinor) return;
  await db
    .updateTable('payouts')
    .set({ due_at: now, updated_at: now })
    .where('store_id', '=', storeId)
    .where('status', '=', 'scheduled')
    .where('due_at', 'is', null)
    .execute();
}
