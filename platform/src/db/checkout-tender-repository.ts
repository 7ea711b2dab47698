import {
  applyTenders,
  assertNever,
  assertTenderApplicable,
  type Checkout,
  type CheckoutEvent,
  type CheckoutId,
  type FiatCurrency,
  fiatStillDueMinor,
  NotFoundError,
  type OutboxMessage,
  type StoreId,
  type Tender,
  tenderAmountToApply,
  type TenderKind,
  type TenderStatus,
} from '@coinstile/core';
import type { Kysely, Selectable } from 'kysely';
import { CheckoutRepository, checkoutFromRow } from './checkout-repository';
import type { Database } from './database';
import type { CheckoutTendersTable, DB } from './schema';

/** A source of tenders (vouchers, shopper balances), as the apply, release and capture transactions use it. */
export interface TenderSource {
  readonly kind: TenderKind;
  /**
   * Locks the source's row (`SELECT … FOR UPDATE`) inside `trx`, where the checkout's row is already
   * locked, and says how much it can give to `checkout` now. Throws a `DomainError` when it cannot give
   * anything (unknown, not activated, expired, other currency, …). `take` then takes `amountMinor`
   * (at most `availableMinor`), in the same transaction.
   */
  lock(
    trx: Kysely<DB>,
    sourceId: string,
    checkout: Checkout,
    now: Date,
  ): Promise<{ readonly availableMinor: bigint; take(amountMinor: bigint): Promise<void> }>;
  /** Returns a released tender's `amountMinor`, held for `checkout`, to the source, inside `trx`. */
  giveBack(trx: Kysely<DB>, sourceId: string, amountMinor: bigint, now: Date, checkout: { readonly id: CheckoutId; readonly storeId: StoreId }): Promise<void>;
}

/** A stored tender. */
export interface TenderRecord extends Tender {
  readonly id: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The outcome of applying a tender: the tender, the checkout after it, and what was announced. */
export interface AppliedTender {
  readonly tender: TenderRecord;
  readonly checkout: Checkout;
  /** Every tender of the checkout now, the new one included, oldest first. */
  readonly tenders: readonly TenderRecord[];
  readonly events: readonly CheckoutEvent[];
}

export function tenderFromRow(row: Selectable<CheckoutTendersTable>): TenderRecord {
  return {
    id: String(row.id),
    checkoutId: row.checkout_id as CheckoutId,
    kind: row.kind,
    sourceId: sourceIdOf(row),
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency as FiatCurrency,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function sourceIdOf(row: Selectable<CheckoutTendersTable>): string {
  switch (row.kind) {
    case 'voucher':
      return row.voucher_id ?? '';
    case 'balance':
      return row.account_id ?? '';
  }
  return assertNever(row.kind, 'tender kind');
}

function sourceColumns(kind: TenderKind, sourceId: string): { voucher_id: string | null; account_id: string | null } {
  switch (kind) {
    case 'voucher':
      return { voucher_id: sourceId, account_id: null };
    case 'balance':
      return { voucher_id: null, account_id: sourceId };
  }
  return assertNever(kind, 'tender kind');
}

/**
 * Checkout tenders: part of a checkout's fiat price paid by a voucher or a shopper balance.
 *
 * - `apply`: in ONE transaction, locks the checkout row, then the source's row, takes
 *   min(source's available amount, fiat still due), stores the tender `held`, and re-quotes the checkout
 *   (`applyTenders`: the crypto due for the remainder, or settled at once when nothing is left). Two
 *   checkouts spending one source serialise on its row lock: it is never spent twice.
 * - `releaseAbandoned`: `held` tenders of checkouts that expired, were cancelled or became invalid go
 *   back to their sources (rows skipped while another sweeper holds them).
 */
export class CheckoutTenderRepository {
  readonly #db: Database;
  readonly #checkouts: CheckoutRepository;
  readonly #sources: ReadonlyMap<TenderKind, TenderSource>;

  constructor(db: Database, sources: readonly TenderSource[]) {
    this.#db = db;
    this.#checkouts = new CheckoutRepository(db);
    this.#sources = new Map(sources.map((s) => [s.kind, s]));
  }

  /**
   * Applies `sourceId` of `kind` to checkout `checkoutId` (of `storeId` when given: another store's
   * checkout is not found). Throws `TenderNotApplicableError`, the source's refusal, or `NotFoundError`.
   */
  async apply(input: { checkoutId: CheckoutId; storeId?: StoreId; kind: TenderKind; sourceId: string; now: Date }): Promise<AppliedTender> {
    const source = this.#source(input.kind);
    return this.#db.transaction(async (trx) => {
      let query = trx.selectFrom('checkouts').selectAll().where('id', '=', input.checkoutId);
      if (input.storeId !== undefined) query = query.where('store_id', '=', input.storeId);
      const row = await query.forUpdate().executeTakeFirst();
      if (row === undefined) throw new NotFoundError('checkout', input.checkoutId);
      const checkout = checkoutFromRow(row);
      const before = await this.listOf(input.checkoutId, trx);
      assertTenderApplicable(checkout, before, checkout.currency, input.now);
      const locked = await source.lock(trx, input.sourceId, checkout, input.now);
      const amountMinor = tenderAmountToApply(locked.availableMinor, fiatStillDueMinor(checkout.priceMinor, before));
      await locked.take(amountMinor);
      const inserted = await trx
        .insertInto('checkout_tenders')
        .values({
          checkout_id: checkout.id,
          kind: input.kind,
          ...sourceColumns(input.kind, input.sourceId),
          amount_minor: amountMinor.toString(),
          currency: checkout.currency,
          status: 'held',
          created_at: input.now,
          updated_at: input.now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const tender = tenderFromRow(inserted);
      const tenders = [...before, tender];
      const transition = applyTenders(checkout, tenders, input.now);
      const { next } = transition;
      const refs = tenders.map((t) => ({ kind: t.kind, sourceId: t.sourceId, amountMinor: t.amountMinor, status: t.status }));
      const events: CheckoutEvent[] = transition.events.map((e) => ({ ...e, tenders: refs }));
      // The row is locked, so the compare-and-set cannot lose; it keeps the version bump and the outbox in one place.
      if (!(await this.#checkouts.compareAndSet(next, checkout.version, events, trx))) {
        throw new Error(`checkout ${checkout.id} changed under its row lock`);
      }
      return { tender, checkout: next, tenders, events };
    });
  }

  /** The tenders of one checkout, oldest first. */
  async listOf(checkoutId: CheckoutId, executor: Kysely<DB> = this.#db.kysely): Promise<TenderRecord[]> {
    return (await this.listFor([checkoutId], executor)).get(checkoutId) ?? [];
  }

  /** The tenders of each checkout, oldest first (checkouts without any are absent). */
  async listFor(checkoutIds: readonly string[], executor: Kysely<DB> = this.#db.kysely): Promise<Map<string, TenderRecord[]>> {
    const byCheckout = new Map<string, TenderRecord[]>();
    if (checkoutIds.length === 0) return byCheckout;
    const rows = await executor.selectFrom('checkout_tenders').selectAll().where('checkout_id', 'in', checkoutIds).orderBy('id').execute();
    for (const row of rows) {
      const list = byCheckout.get(row.checkout_id) ?? [];
      list.push(tenderFromRow(row));
      byCheckout.set(row.checkout_id, list);
    }
    return byCheckout;
  }

  /**
   * Gives the `held` tenders of expired, cancelled and invalid checkouts back to their sources, at most
   * `limit` per call, each in the same transaction as its status change. Returns the released tenders.
   */
  async releaseAbandoned(now: Date, limit = 100, onlyCheckoutId?: CheckoutId): Promise<TenderRecord[]> {
    return this.#db.transaction(async (trx) => {
      let query = trx
        .selectFrom('checkout_tenders')
        .innerJoin('checkouts', 'checkouts.id', 'checkout_tenders.checkout_id')
        .selectAll('checkout_tenders')
        .select('checkouts.store_id')
        .where('checkout_tenders.status', '=', 'held')
        .where('checkouts.status', 'in', ['expired', 'cancelled', 'invalid']);
      if (onlyCheckoutId !== undefined) query = query.where('checkout_tenders.checkout_id', '=', onlyCheckoutId);
      const rows = await query.orderBy('checkout_tenders.id').limit(limit).forUpdate('checkout_tenders').skipLocked().execute();
      const released: TenderRecord[] = [];
      for (const row of rows) {
        const tender = tenderFromRow(row);
        await this.#source(tender.kind).giveBack(trx, tender.sourceId, tender.amountMinor, now, { id: tender.checkoutId, storeId: row.store_id as StoreId });
        await trx.updateTable('checkout_tenders').set({ status: 'released', updated_at: now }).where('id', '=', row.id).execute();
        released.push({ ...tender, status: 'released', updatedAt: now });
      }
      return released;
    });
  }

  #source(kind: TenderKind): TenderSource {
    const source = this.#sources.get(kind);
    if (source === undefined) throw new Error(`no tender source of kind ${kind} is registered`);
    return source;
  }
}

/**
 * Inside the settlement transaction `trx`: every `held` tender of `checkoutIds` (settled checkouts) becomes
 * `captured`. Returns, per checkout, the tenders that pay it (captured now or before), oldest first.
 */
export async function captureTendersIn(trx: Kysely<DB>, checkoutIds: readonly string[], now: Date): Promise<Map<string, TenderRecord[]>> {
  const byCheckout = new Map<string, TenderRecord[]>();
  if (checkoutIds.length === 0) return byCheckout;
  const rows = await trx
    .updateTable('checkout_tenders')
    .set({ status: 'captured', updated_at: now })
    .where('checkout_id', 'in', checkoutIds)
    .where('status', 'in', ['held', 'captured'] satisfies TenderStatus[])
    .returningAll()
    .execute();
  rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
  for (const row of rows) {
    const list = byCheckout.get(row.checkout_id) ?? [];
    list.push(tenderFromRow(row));
    byCheckout.set(row.checkout_id, list);
  }
  return byCheckout;
}

/** `voucher.redeemed`: a captured voucher tender paid part of a settled checkout (to the selling store). */
export function voucherRedeemedMessage(tender: TenderRecord, storeId: StoreId, occurredAt: Date): OutboxMessage {
  return {
    eventId: `voucher.redeemed:${tender.id}`,
    eventType: 'voucher.redeemed',
    aggregateType: 'voucher',
    aggregateId: tender.sourceId,
    payload: {
      type: 'voucher.redeemed',
      storeId,
      voucherId: tender.sourceId,
      checkoutId: tender.checkoutId,
      amountMinor: tender.amountMinor,
      currency: tender.currency,
      occurredAt,
    },
  };
}
