import {
  chooseRefundDestination,
  cryptoDueForFiat,
  decideEscrow,
  escrowPolicyFromJson,
  escrowReleasePosting,
  type CarrierId,
  type CheckoutId,
  type Clock,
  type CryptoAsset,
  type DisputeId,
  type EscrowCommand,
  type EscrowDecision,
  type EscrowHold,
  type EscrowHoldId,
  type FiatCurrency,
  type InspectionDestination,
  newEscrowHold,
  nextId,
  NotFoundError,
  type OutboxMessage,
  type PayoutId,
  parseId,
  parseRate,
  type Posting,
  type RandomSource,
  type RefundId,
  refundOwedPosting,
  refundSentPosting,
  type ShopperAccountId,
  type StoreId,
  ValidationError,
} from '@coinstile/core';
import { appendPostings, creditRefundToShopperBalance, lockShopperAccount, OutboxRepository, type Database, type DB } from '@coinstile/platform';
import type { Kysely, Selectable } from 'kysely';
import { parsePayoutSchedule, payoutDueAt } from '../payout-schedule';
import { payoutEventId, type PayoutEvent } from '../pipeline-events';
import { pipelineKysely } from '../pipeline-schema';
import { releaseThresholdPayouts } from '../settlement-processor';
import {
  CarrierExistsError,
  EscrowTransitionRefusedError,
  NotUnderEscrowError,
  OrderNotReleasedError,
  RefundStatusError,
  ShipmentExistsError,
} from './escrow-errors';
import type { EscrowHoldEvent, PayoutRefundedEvent, RefundEvent, ShipmentEvent } from './escrow-events';
import type { EscrowLinkSigner } from './escrow-links';

type HoldRow = Selectable<DB['escrow_holds']>;
type RefundRow = Selectable<DB['refunds']>;

export interface EscrowServiceDeps {
  readonly db: Database;
  /** What "now" is for every transition and deadline (the auto-acceptance test advances it). */
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Signs the shopper's links carried by `escrow.held` and `refund.requested`; without it they carry none. */
  readonly links?: EscrowLinkSigner;
}

export interface Carrier {
  readonly id: CarrierId;
  readonly code: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface Shipment {
  readonly id: string;
  readonly checkoutId: CheckoutId;
  readonly storeId: StoreId;
  readonly carrierId: CarrierId;
  readonly carrierCode: string;
  readonly trackingNumber: string;
  readonly status: 'registered' | 'in_transit' | 'delivered';
  readonly escrowHoldId: EscrowHoldId | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Dispute {
  readonly id: DisputeId;
  readonly holdId: EscrowHoldId;
  readonly checkoutId: CheckoutId;
  readonly storeId: StoreId;
  readonly reason: string;
  readonly status: 'open' | 'resolved';
  readonly resolution: 'release' | 'refund_full' | 'refund_partial' | null;
  readonly refundMinor: bigint | null;
  readonly operatorNote: string | null;
  readonly openedAt: Date;
  readonly resolvedAt: Date | null;
  /** The hold's acceptance deadline when the dispute was opened (null before delivery). */
  readonly acceptanceDeadline: Date | null;
  readonly currency: FiatCurrency;
  readonly heldMinor: bigint;
}

export type RefundStatus = 'awaiting_address' | 'ready' | 'sent' | 'credited';

export const REFUND_STATUSES: readonly RefundStatus[] = ['awaiting_address', 'ready', 'sent', 'credited'];

export interface Refund {
  readonly id: RefundId;
  readonly holdId: EscrowHoldId;
  readonly checkoutId: CheckoutId;
  readonly storeId: StoreId;
  readonly reason: 'dispute_refund_full' | 'dispute_refund_partial' | 'cancelled_by_store';
  readonly currency: FiatCurrency;
  readonly refundMinor: bigint;
  readonly asset: CryptoAsset;
  readonly ratePolicy: 'sale' | 'current';
  /**
   * `awaiting_address` → `ready` → `sent` for a refund paid on-chain; `credited` (final at once) for one
   * paid into the shopper account the checkout was linked to (`shopperAccountId`).
   */
  readonly status: RefundStatus;
  readonly shopperAccountId: ShopperAccountId | null;
  readonly creditedAt: Date | null;
  readonly address: string | null;
  readonly rate: string | null;
  readonly amountBase: bigint | null;
  readonly txid: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

/** A hold with the order it belongs to. */
export interface EscrowHoldView extends EscrowHold {
  readonly payoutId: string;
  readonly orderId: string;
  readonly createdAt: Date;
}

export type DisputeResolutionRequest =
  | { readonly disputeId: string; readonly resolution: 'release'; readonly note?: string }
  | { readonly disputeId: string; readonly resolution: 'refund_full'; readonly note?: string }
  | { readonly disputeId: string; readonly resolution: 'refund_partial'; readonly refundMinor: bigint; readonly note?: string };

/** What a refund address page needs to check and price the shopper's address. */
export interface RefundAddressChecks {
  /** Throws a `ValidationError` when `address` cannot receive `asset` on the configured network. */
  readonly validateAddress: (asset: CryptoAsset, address: string) => void;
  /** The market rate now (fiat major units per crypto major unit), for stores that refund at the current rate. */
  readonly currentRate: (asset: CryptoAsset, currency: FiatCurrency) => Promise<string>;
}

const TRACKING = /^[A-Za-z0-9-]{4,64}$/;
const TXID = /^(0x)?[0-9a-fA-F]{64}$/;
const CARRIER_CODE = /^[a-z0-9][a-z0-9_-]{1,31}$/;

/**
 * Escrow until acceptance: every transition of a hold runs `decideEscrow` inside one database
 * transaction that also locks the hold, writes it back (compare-and-set on its version), books the ledger
 * postings the decision implies (escrow → payable on release, escrow and fee → refunds payable on a
 * refund), moves the payout (`reserved → scheduled`, due per the store's schedule, or `refunded`), opens
 * the refund and the dispute rows, and appends every event to the outbox. A retried call after a crash
 * either finds the work done (refused or unchanged) or does it once.
 */
export class EscrowService {
  readonly #outbox: OutboxRepository;

  constructor(private readonly deps: EscrowServiceDeps) {
    this.#outbox = new OutboxRepository(deps.db);
  }

  // ── Carriers ────────────────────────────────────────────────────────────

  async createCarrier(input: { code: string; name: string }): Promise<Carrier> {
    if (!CARRIER_CODE.test(input.code)) throw new ValidationError('code must be 2 to 32 of a-z, 0-9, _ and -, starting with a letter or digit', { field: 'code' });
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw new ValidationError('name must be 1 to 200 characters', { field: 'name' });
    const row = await this.deps.db.kysely
      .insertInto('carriers')
      .values({ id: nextId('car', this.deps.clock, this.deps.random), code: input.code, name, created_at: this.deps.clock.now() })
      .onConflict((oc) => oc.column('code').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new CarrierExistsError(input.code);
    return carrierOf(row);
  }

  async listCarriers(): Promise<Carrier[]> {
    return (await this.deps.db.kysely.selectFrom('carriers').selectAll().orderBy('code').execute()).map(carrierOf);
  }

  /** Not found (404) unless the checkout exists and belongs to `storeId`: a store sees only its own orders. */
  async assertCheckoutOfStore(storeId: StoreId, checkoutIdText: string): Promise<CheckoutId> {
    const checkoutId = parseId('co', checkoutIdText);
    const row = await this.deps.db.kysely.selectFrom('checkouts').select('store_id').where('id', '=', checkoutId).executeTakeFirst();
    if (row === undefined || row.store_id !== storeId) throw new NotFoundError('checkout', checkoutId);
    return checkoutId;
  }

  // ── Holds ───────────────────────────────────────────────────────────────

  /**
   * Opens a hold for every reserved payout that has none yet (at most `limit`), each announced by
   * `escrow.held` with the shopper's link. The sweeper calls it; every transition also opens its own.
   */
  async openPendingHolds(limit = 500): Promise<number> {
    return this.deps.db.transaction(async (trx) => (await this.#openHolds(trx, null, limit)).length);
  }

  /**
   * The hold of a checkout (opened now if its payout is reserved and it has none yet). With `storeId`, the
   * checkout of another store is not found, and nothing is opened for it.
   */
  async holdOfCheckout(checkoutIdText: string, storeId?: StoreId): Promise<EscrowHoldView> {
    const checkoutId = storeId === undefined ? parseId('co', checkoutIdText) : await this.assertCheckoutOfStore(storeId, checkoutIdText);
    const row = await this.deps.db.transaction(async (trx) => {
      await this.#openHolds(trx, checkoutId, 1);
      return this.#holdRow(trx, { checkoutId }, false);
    });
    if (row === undefined || (storeId !== undefined && row.store_id !== storeId)) throw new NotFoundError('escrow_hold', checkoutId);
    return this.#view(row);
  }

  async getHold(holdIdText: string): Promise<EscrowHoldView> {
    const holdId = parseId('esc', holdIdText);
    const row = await this.#holdRow(this.deps.db.kysely, { holdId }, false);
    if (row === undefined) throw new NotFoundError('escrow_hold', holdId);
    return this.#view(row);
  }

  async listHolds(filter: { storeId?: StoreId; statuses?: readonly EscrowHold['status'][]; limit?: number } = {}): Promise<EscrowHoldView[]> {
    let q = this.deps.db.kysely.selectFrom('escrow_holds').innerJoin('checkouts', 'checkouts.id', 'escrow_holds.checkout_id').selectAll('escrow_holds').select('checkouts.order_id');
    if (filter.storeId !== undefined) q = q.where('escrow_holds.store_id', '=', filter.storeId);
    if (filter.statuses !== undefined && filter.statuses.length > 0) q = q.where('escrow_holds.status', 'in', filter.statuses);
    const rows = await q.orderBy('escrow_holds.id', 'desc').limit(Math.min(filter.limit ?? 50, 500)).execute();
    return rows.map((r) => ({ ...holdOf(r), payoutId: r.payout_id, orderId: r.order_id, createdAt: r.created_at }));
  }

  // ── Shipments ───────────────────────────────────────────────────────────

  /**
   * The store registers the shipment of a released order (one per order; a tracking number once per
   * carrier). Under escrow the hold moves to `shipped`; `inspection`, when given, overrides the store's
   * default inspection destination for this order (a gift, or the carrier inspecting).
   */
  async registerShipment(input: { storeId: StoreId; checkoutId: string; carrierId: string; trackingNumber: string; inspection?: InspectionDestination }): Promise<Shipment> {
    const checkoutId = parseId('co', input.checkoutId);
    const carrierId = parseId('car', input.carrierId);
    if (!TRACKING.test(input.trackingNumber)) throw new ValidationError('trackingNumber must be 4 to 64 letters, digits or dashes', { field: 'trackingNumber' });
    try {
      return await this.deps.db.transaction(async (trx) => {
        const now = this.deps.clock.now();
        const release = await pipelineKysely(trx)
          .selectFrom('checkouts')
          .leftJoin('order_releases', 'order_releases.checkout_id', 'checkouts.id')
          .select(['checkouts.id', 'checkouts.store_id', 'order_releases.checkout_id as released'])
          .where('checkouts.id', '=', checkoutId)
          .executeTakeFirst();
        if (release === undefined || release.store_id !== input.storeId) throw new NotFoundError('checkout', checkoutId);
        if (release.released === null) throw new OrderNotReleasedError(checkoutId);
        const carrier = await trx.selectFrom('carriers').selectAll().where('id', '=', carrierId).executeTakeFirst();
        if (carrier === undefined) throw new NotFoundError('carrier', carrierId);
        const taken = await trx
          .selectFrom('shipments')
          .select('id')
          .where((eb) => eb.or([eb('checkout_id', '=', checkoutId), eb.and([eb('carrier_id', '=', carrierId), eb('tracking_number', '=', input.trackingNumber)])]))
          .executeTakeFirst();
        if (taken !== undefined) throw new ShipmentExistsError({ checkoutId, trackingNumber: input.trackingNumber });
        await this.#openHolds(trx, checkoutId, 1);
        let hold = await this.#holdRow(trx, { checkoutId }, true);
        if (hold !== undefined && input.inspection !== undefined && input.inspection !== hold.inspection) {
          if (hold.status !== 'reserved') throw new EscrowTransitionRefusedError({ reason: 'not_allowed_in_status', status: hold.status });
          hold = await trx.updateTable('escrow_holds').set({ inspection: input.inspection, updated_at: now }).where('id', '=', hold.id).returningAll().executeTakeFirstOrThrow();
        }
        const row = await trx
          .insertInto('shipments')
          .values({
            id: nextId('shp', this.deps.clock, this.deps.random),
            checkout_id: checkoutId,
            escrow_hold_id: hold?.id ?? null,
            store_id: input.storeId,
            carrier_id: carrierId,
            tracking_number: input.trackingNumber,
            status: 'registered',
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const event: ShipmentEvent = { type: 'shipment.registered', shipmentId: row.id, storeId: input.storeId, checkoutId, carrierCode: carrier.code, trackingNumber: row.tracking_number, occurredAt: now };
        await this.#outbox.append(trx, [{ eventId: `${row.id}:shipment.registered`, eventType: event.type, aggregateType: 'checkout', aggregateId: checkoutId, payload: event }]);
        if (hold !== undefined) await this.#apply(trx, hold, { type: 'register_shipment' }, now);
        return shipmentOf(row, carrier.code);
      });
    } catch (err) {
      // Two registrations racing past the check above: the unique index decides.
      if ((err as { code?: string }).code === '23505') throw new ShipmentExistsError({ checkoutId, trackingNumber: input.trackingNumber });
      throw err;
    }
  }

  /** A carrier's report on one of its shipments (another carrier's shipment does not exist for it). */
  async recordCarrierEvent(input: { carrierId: CarrierId; shipmentId: string; status: 'in_transit' | 'delivered' }): Promise<Shipment> {
    const shipmentId = parseId('shp', input.shipmentId);
    return this.deps.db.transaction(async (trx) => {
      const now = this.deps.clock.now();
      const shipment = await trx.selectFrom('shipments').selectAll().where('id', '=', shipmentId).forUpdate().executeTakeFirst();
      if (shipment === undefined || shipment.carrier_id !== input.carrierId) throw new NotFoundError('shipment', shipmentId);
      const carrier = await trx.selectFrom('carriers').select('code').where('id', '=', shipment.carrier_id).executeTakeFirstOrThrow();
      const recorded = await trx.insertInto('shipment_events').values({ shipment_id: shipmentId, status: input.status, recorded_at: now }).returning('id').executeTakeFirstOrThrow();
      // Delivered stays delivered: a late in-transit scan does not move it back.
      const status = shipment.status === 'delivered' ? 'delivered' : input.status;
      const updated = await trx.updateTable('shipments').set({ status, updated_at: now }).where('id', '=', shipmentId).returningAll().executeTakeFirstOrThrow();
      const event: ShipmentEvent = {
        type: input.status === 'delivered' ? 'shipment.delivered' : 'shipment.in_transit',
        shipmentId,
        storeId: shipment.store_id as StoreId,
        checkoutId: shipment.checkout_id as CheckoutId,
        carrierCode: carrier.code,
        trackingNumber: shipment.tracking_number,
        occurredAt: now,
      };
      await this.#outbox.append(trx, [{ eventId: `${shipmentId}:${event.type}:${recorded.id}`, eventType: event.type, aggregateType: 'checkout', aggregateId: shipment.checkout_id, payload: event }]);
      if (shipment.escrow_hold_id !== null) {
        const hold = await this.#holdRow(trx, { holdId: shipment.escrow_hold_id as EscrowHoldId }, true);
        if (hold !== undefined) await this.#apply(trx, hold, { type: 'carrier_update', status: input.status }, now);
      }
      return shipmentOf(updated, carrier.code);
    });
  }

  async listShipments(filter: { storeId?: StoreId; limit?: number } = {}): Promise<Shipment[]> {
    let q = this.deps.db.kysely.selectFrom('shipments').innerJoin('carriers', 'carriers.id', 'shipments.carrier_id').selectAll('shipments').select('carriers.code');
    if (filter.storeId !== undefined) q = q.where('shipments.store_id', '=', filter.storeId);
    const rows = await q.orderBy('shipments.id', 'desc').limit(Math.min(filter.limit ?? 50, 500)).execute();
    return rows.map((r) => shipmentOf(r, r.code));
  }

  // ── Acceptance, disputes, cancellation ─────────────────────────────────

  /** The inspector confirmed receipt through the signed link. */
  async confirmReceipt(holdId: EscrowHoldId): Promise<EscrowHoldView> {
    return this.#command({ holdId }, { type: 'confirm_receipt' });
  }

  /** The shopper opened a dispute through the signed link, within the window. */
  async openDispute(holdId: EscrowHoldId, reason: string): Promise<Dispute> {
    const text = reason.trim();
    if (text.length === 0 || text.length > 2000) throw new ValidationError('reason must be 1 to 2000 characters', { field: 'reason' });
    const hold = await this.#command({ holdId }, { type: 'open_dispute' }, { disputeReason: text });
    return this.getDisputeOfHold(hold.id);
  }

  /** The operator's decision on an open dispute. */
  async resolveDispute(request: DisputeResolutionRequest): Promise<Dispute> {
    const disputeId = parseId('dsp', request.disputeId);
    const dispute = await this.deps.db.kysely.selectFrom('disputes').select(['escrow_hold_id']).where('id', '=', disputeId).executeTakeFirst();
    if (dispute === undefined) throw new NotFoundError('dispute', disputeId);
    const note = request.note?.trim();
    if (note !== undefined && note.length > 2000) throw new ValidationError('note must be at most 2000 characters', { field: 'note' });
    const command: EscrowCommand =
      request.resolution === 'refund_partial' ? { type: 'resolve_dispute', resolution: 'refund_partial', refundMinor: request.refundMinor } : { type: 'resolve_dispute', resolution: request.resolution };
    await this.#command({ holdId: dispute.escrow_hold_id as EscrowHoldId }, command, { operatorNote: note ?? null });
    return this.getDispute(disputeId);
  }

  /** The store cancels an escrowed order before acceptance: the shopper is refunded in full. */
  async cancelBeforeAcceptance(input: { storeId: StoreId; checkoutId: string; reason: string }): Promise<EscrowHoldView> {
    const checkoutId = parseId('co', input.checkoutId);
    const reason = input.reason.trim();
    if (reason.length === 0 || reason.length > 500) throw new ValidationError('reason must be 1 to 500 characters', { field: 'reason' });
    return this.#command({ checkoutId, storeId: input.storeId }, { type: 'cancel_by_store' }, { cancelReason: reason });
  }

  /**
   * Accepts every delivered hold whose deadline passed (at most `limit`); how many it accepted. One hold
   * that fails does not hold up the others: they are accepted, then the failures are thrown together.
   */
  async acceptOverdue(limit = 200): Promise<number> {
    const now = this.deps.clock.now();
    const due = await this.deps.db.kysely
      .selectFrom('escrow_holds')
      .select('id')
      .where('status', '=', 'delivered')
      .where('acceptance_deadline', '<=', now)
      .orderBy('acceptance_deadline')
      .limit(limit)
      .execute();
    let accepted = 0;
    const failures: unknown[] = [];
    for (const { id } of due) {
      try {
        const hold = await this.#command({ holdId: id as EscrowHoldId }, { type: 'tick' });
        if (hold.status === 'accepted') accepted += 1;
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} overdue escrow holds could not be accepted (${accepted} were)`);
    return accepted;
  }

  async getDispute(idText: string): Promise<Dispute> {
    const id = parseId('dsp', idText);
    const [row] = await this.#disputes((q) => q.where('disputes.id', '=', id));
    if (row === undefined) throw new NotFoundError('dispute', id);
    return row;
  }

  async getDisputeOfHold(holdId: EscrowHoldId): Promise<Dispute> {
    const [row] = await this.#disputes((q) => q.where('disputes.escrow_hold_id', '=', holdId));
    if (row === undefined) throw new NotFoundError('dispute', holdId);
    return row;
  }

  async listDisputes(filter: { status?: 'open' | 'resolved'; storeId?: StoreId; limit?: number } = {}): Promise<Dispute[]> {
    return this.#disputes((q) => {
      let r = q;
      if (filter.status !== undefined) r = r.where('disputes.status', '=', filter.status);
      if (filter.storeId !== undefined) r = r.where('disputes.store_id', '=', filter.storeId);
      return r.orderBy('disputes.id', 'desc').limit(Math.min(filter.limit ?? 50, 500));
    });
  }

  // ── Refunds ─────────────────────────────────────────────────────────────

  async getRefund(idText: string): Promise<Refund> {
    const id = parseId('rf', idText);
    const row = await this.deps.db.kysely.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('refund', id);
    return refundOf(row);
  }

  async listRefunds(filter: { status?: Refund['status']; storeId?: StoreId; limit?: number } = {}): Promise<Refund[]> {
    let q = this.deps.db.kysely.selectFrom('refunds').selectAll();
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.storeId !== undefined) q = q.where('store_id', '=', filter.storeId);
    return (await q.orderBy('id', 'desc').limit(Math.min(filter.limit ?? 50, 500)).execute()).map(refundOf);
  }

  /**
   * The shopper's refund address (from the signed page): validated for the checkout's asset; the crypto
   * amount is fixed now, at the sale's locked rate or the current one per the store's policy, rounded up
   * (the shopper is never short, as the amount due was rounded up for the store).
   */
  async submitRefundAddress(refundIdText: string, address: string, checks: RefundAddressChecks): Promise<Refund> {
    const refundId = parseId('rf', refundIdText);
    const current = await this.getRefund(refundId);
    if (current.status !== 'awaiting_address') throw new RefundStatusError(refundId, current.status, 'awaiting_address');
    const trimmed = address.trim();
    checks.validateAddress(current.asset, trimmed);
    let rate: string;
    if (current.ratePolicy === 'current') rate = parseRate(await checks.currentRate(current.asset, current.currency));
    else {
      const checkout = await this.deps.db.kysely.selectFrom('checkouts').select('rate').where('id', '=', current.checkoutId).executeTakeFirstOrThrow();
      if (checkout.rate === null) throw new Error(`checkout ${current.checkoutId} of refund ${refundId} has no rate`);
      rate = parseRate(checkout.rate);
    }
    const amountBase = cryptoDueForFiat(current.refundMinor, current.currency, current.asset, rate);
    return this.deps.db.transaction(async (trx) => {
      const now = this.deps.clock.now();
      const row = await trx
        .updateTable('refunds')
        .set({ status: 'ready', address: trimmed, rate, amount_base: amountBase.toString(), address_submitted_at: now, updated_at: now })
        .where('id', '=', refundId)
        .where('status', '=', 'awaiting_address')
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) throw new RefundStatusError(refundId, 'ready', 'awaiting_address');
      const refund = refundOf(row);
      await this.#outbox.append(trx, [refundMessage(refund, 'refund.address_submitted', null, now)]);
      return refund;
    });
  }

  /**
   * The operator sent the refund from the mall's wallet (outside Coinstile: the hot wallet is out of
   * scope) and records its txid: the refund debt is settled and the crypto leaves the holdings.
   */
  async markRefundSent(input: { refundId: string; txid: string }): Promise<Refund> {
    const refundId = parseId('rf', input.refundId);
    if (!TXID.test(input.txid)) throw new ValidationError('txid must be a 64-digit hex transaction id', { field: 'txid' });
    return this.deps.db.transaction(async (trx) => {
      const now = this.deps.clock.now();
      const existing = await trx.selectFrom('refunds').selectAll().where('id', '=', refundId).forUpdate().executeTakeFirst();
      if (existing === undefined) throw new NotFoundError('refund', refundId);
      if (existing.status !== 'ready') throw new RefundStatusError(refundId, existing.status, 'ready');
      const row = await trx.updateTable('refunds').set({ status: 'sent', txid: input.txid, sent_at: now, updated_at: now }).where('id', '=', refundId).returningAll().executeTakeFirstOrThrow();
      const refund = refundOf(row);
      await appendPostings(trx, [
        refundSentPosting({
          meta: { postingId: nextId('lp', this.deps.clock, this.deps.random), dedupeKey: `refund_sent:${refundId}`, occurredAt: now, storeId: refund.storeId, checkoutId: refund.checkoutId, memo: input.txid },
          asset: refund.asset,
          amountBase: refund.amountBase as bigint,
          currency: refund.currency,
          refundMinor: refund.refundMinor,
        }),
      ]);
      await this.#outbox.append(trx, [refundMessage(refund, 'refund.sent', null, now)]);
      return refund;
    });
  }

  // ── Internals ───────────────────────────────────────────────────────────

  async #command(
    where: { holdId: EscrowHoldId } | { checkoutId: CheckoutId; storeId: StoreId },
    command: EscrowCommand,
    context: ApplyContext = {},
  ): Promise<EscrowHoldView> {
    const row = await this.deps.db.transaction(async (trx) => {
      const now = this.deps.clock.now();
      if ('checkoutId' in where) {
        const checkout = await trx.selectFrom('checkouts').select(['store_id', 'escrow']).where('id', '=', where.checkoutId).executeTakeFirst();
        if (checkout === undefined || checkout.store_id !== where.storeId) throw new NotFoundError('checkout', where.checkoutId);
        await this.#openHolds(trx, where.checkoutId, 1);
      }
      const hold = await this.#holdRow(trx, 'checkoutId' in where ? { checkoutId: where.checkoutId } : { holdId: where.holdId }, true);
      if (hold === undefined) {
        if ('checkoutId' in where) throw await this.#noHoldError(trx, where.checkoutId);
        throw new NotFoundError('escrow_hold', where.holdId);
      }
      return this.#apply(trx, hold, command, now, context);
    });
    return this.#view(row);
  }

  async #noHoldError(trx: Kysely<DB>, checkoutId: CheckoutId): Promise<Error> {
    const released = await pipelineKysely(trx).selectFrom('order_releases').select('checkout_id').where('checkout_id', '=', checkoutId).executeTakeFirst();
    return released === undefined ? new OrderNotReleasedError(checkoutId) : new NotUnderEscrowError(checkoutId);
  }

  /** Runs the state machine on a locked hold and writes everything the decision implies. */
  async #apply(trx: Kysely<DB>, row: HoldRow, command: EscrowCommand, now: Date, context: ApplyContext = {}): Promise<HoldRow> {
    const hold = holdOf(row);
    const decision: EscrowDecision = decideEscrow(hold, command, now);
    switch (decision.outcome) {
      case 'refused':
        throw new EscrowTransitionRefusedError(decision.refusal);
      case 'unchanged':
        return row;
      case 'changed':
        break;
    }
    const next = decision.next;
    const updated = await trx
      .updateTable('escrow_holds')
      .set({
        status: next.status,
        shipped_at: next.shippedAt,
        delivered_at: next.deliveredAt,
        acceptance_deadline: next.acceptanceDeadline,
        accepted_at: next.acceptedAt,
        accepted_by: next.acceptedBy,
        disputed_at: next.disputedAt,
        resolution: next.resolution,
        resolved_at: next.resolvedAt,
        cancelled_at: next.cancelledAt,
        released_minor: next.releasedMinor.toString(),
        refund_from_escrow_minor: next.refundFromEscrowMinor.toString(),
        refund_fee_minor: next.refundFeeMinor.toString(),
        version: next.version,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .where('version', '=', hold.version)
      .returningAll()
      .executeTakeFirst();
    // The row is locked FOR UPDATE, so the version cannot have moved; a miss is a bug, not a race to retry.
    if (updated === undefined) throw new Error(`escrow hold ${row.id} changed under its lock`);

    const checkout = await trx.selectFrom('checkouts').select(['order_id', 'asset', 'shopper_account_id']).where('id', '=', row.checkout_id).executeTakeFirstOrThrow();
    // Only a settled checkout is released and escrowed, and a settled checkout has its asset.
    if (checkout.asset === null) throw new Error(`escrowed checkout ${row.checkout_id} has no asset`);
    const messages: OutboxMessage[] = [];
    const postings: Posting[] = [];
    const meta = (kind: string) => ({
      postingId: nextId('lp', this.deps.clock, this.deps.random),
      dedupeKey: `${kind}:${row.checkout_id}`,
      occurredAt: now,
      storeId: next.storeId,
      checkoutId: next.checkoutId,
      payoutId: row.payout_id as PayoutId,
    });
    const { releaseMinor, refundFromEscrowMinor, refundFeeMinor } = decision.money;
    const refundMinor = refundFromEscrowMinor + refundFeeMinor;
    const db = pipelineKysely(trx);
    if (releaseMinor > 0n) {
      postings.push(escrowReleasePosting({ meta: meta('escrow_release'), storeId: next.storeId, currency: next.currency, amountMinor: releaseMinor }));
      const store = await db.selectFrom('stores').select('payout_schedule').where('id', '=', next.storeId).executeTakeFirstOrThrow();
      const schedule = parsePayoutSchedule(store.payout_schedule);
      const dueAt = payoutDueAt(schedule, now);
      const payout = await db
        .updateTable('payouts')
        .set({ status: 'scheduled', amount_minor: releaseMinor.toString(), due_at: dueAt, updated_at: now })
        .where('id', '=', row.payout_id)
        .where('status', '=', 'reserved')
        .returning(['id', 'fee_minor'])
        .executeTakeFirst();
      if (payout === undefined) throw new Error(`payout ${row.payout_id} of escrow hold ${row.id} is not reserved`);
      const event: PayoutEvent = {
        type: 'payout.scheduled',
        payoutId: row.payout_id as PayoutId,
        storeId: next.storeId,
        checkoutId: next.checkoutId,
        orderId: checkout.order_id,
        amountMinor: releaseMinor,
        feeMinor: BigInt(payout.fee_minor),
        currency: next.currency,
        status: 'scheduled',
        dueAt,
        scheduledAt: now,
      };
      messages.push({ eventId: payoutEventId(next.checkoutId, 'payout.scheduled'), eventType: event.type, aggregateType: 'payout', aggregateId: row.payout_id, payload: event });
      if (schedule.kind === 'threshold') await releaseThresholdPayouts(db, next.storeId, schedule.minimumMinor, now);
    } else if (refundMinor > 0n) {
      const payout = await trx.updateTable('payouts').set({ status: 'refunded', updated_at: now }).where('id', '=', row.payout_id).where('status', '=', 'reserved').returning('amount_minor').executeTakeFirst();
      if (payout === undefined) throw new Error(`payout ${row.payout_id} of escrow hold ${row.id} is not reserved`);
      const event: PayoutRefundedEvent = { type: 'payout.refunded', payoutId: row.payout_id, storeId: next.storeId, checkoutId: next.checkoutId, amountMinor: BigInt(payout.amount_minor), currency: next.currency, occurredAt: now };
      messages.push({ eventId: `${next.checkoutId}:payout.refunded`, eventType: event.type, aggregateType: 'payout', aggregateId: row.payout_id, payload: event });
    }
    let balanceCredit: { readonly refund: Refund; readonly accountId: ShopperAccountId } | null = null;
    if (refundMinor > 0n) {
      postings.push(refundOwedPosting({ meta: meta('refund_owed'), storeId: next.storeId, currency: next.currency, fromEscrowMinor: refundFromEscrowMinor, fromFeeMinor: refundFeeMinor }));
      const store = await trx.selectFrom('stores').select('policy').where('id', '=', next.storeId).executeTakeFirstOrThrow();
      const policy = escrowPolicyFromJson((store.policy as { escrow?: unknown } | null)?.escrow);
      const linked = checkout.shopper_account_id === null ? null : (await lockShopperAccount(trx, checkout.shopper_account_id as ShopperAccountId)).account;
      const destination = chooseRefundDestination(policy.refundTo, linked, next.currency);
      const credited = destination === 'shopper_balance' && linked !== null ? linked.id : null;
      const refundRow = await trx
        .insertInto('refunds')
        .values({
          id: nextId('rf', this.deps.clock, this.deps.random),
          escrow_hold_id: row.id,
          checkout_id: row.checkout_id,
          store_id: row.store_id,
          reason: next.status === 'cancelled' ? 'cancelled_by_store' : next.resolution === 'refund_full' ? 'dispute_refund_full' : 'dispute_refund_partial',
          currency: next.currency,
          refund_minor: refundMinor.toString(),
          asset: checkout.asset,
          rate_policy: policy.refundRate,
          status: credited === null ? 'awaiting_address' : 'credited',
          shopper_account_id: credited,
          credited_at: credited === null ? null : now,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const refund = refundOf(refundRow);
      if (credited === null) messages.push(refundMessage(refund, 'refund.requested', this.deps.links?.refundUrl(refund.id) ?? null, now));
      else {
        messages.push(refundMessage(refund, 'refund.credited', null, now));
        balanceCredit = { refund, accountId: credited };
      }
    }
    if (command.type === 'open_dispute') {
      await trx
        .insertInto('disputes')
        .values({
          id: nextId('dsp', this.deps.clock, this.deps.random),
          escrow_hold_id: row.id,
          checkout_id: row.checkout_id,
          store_id: row.store_id,
          reason: context.disputeReason ?? 'not given',
          status: 'open',
          opened_at: now,
        })
        .execute();
    }
    if (command.type === 'resolve_dispute') {
      await trx
        .updateTable('disputes')
        .set({ status: 'resolved', resolution: command.resolution, refund_minor: refundMinor.toString(), operator_note: context.operatorNote ?? null, resolved_at: now })
        .where('escrow_hold_id', '=', row.id)
        .where('status', '=', 'open')
        .execute();
    }
    for (const type of decision.events) {
      const event: EscrowHoldEvent = {
        ...holdEventBody(updated, checkout.order_id, this.deps.links?.acceptUrl(row.id as EscrowHoldId) ?? null),
        type,
        note: noteOf(type, context),
        occurredAt: now,
      };
      messages.push({ eventId: `${row.id}:${type}:${next.version}`, eventType: type, aggregateType: 'checkout', aggregateId: row.checkout_id, payload: event });
    }
    await appendPostings(trx, postings);
    await this.#outbox.append(trx, messages);
    if (balanceCredit !== null) {
      const { refund, accountId } = balanceCredit;
      // refund_owed above made the refund a debt of the mall (escrow and fee → refunds payable): the credit
      // settles that debt into the balance, so the store is charged once.
      const credit = await creditRefundToShopperBalance(trx, this.deps, {
        accountId,
        storeId: refund.storeId,
        checkoutId: refund.checkoutId,
        currency: refund.currency,
        amountMinor: refund.refundMinor,
        from: 'refunds_payable',
        dedupeKey: `shopper_refund:${refund.id}`,
      });
      // The refund row is new in this transaction, so its dedupe key cannot have been booked before.
      if (!credit.booked) throw new Error(`refund ${refund.id} was already credited to shopper account ${accountId}`);
    }
    return updated;
  }

  /** Opens holds for reserved payouts with none (one checkout, or any), announcing each with `escrow.held`. */
  async #openHolds(trx: Kysely<DB>, checkoutId: CheckoutId | null, limit: number): Promise<HoldRow[]> {
    let q = trx
      .selectFrom('payouts')
      .innerJoin('checkouts', 'checkouts.id', 'payouts.checkout_id')
      .innerJoin('stores', 'stores.id', 'payouts.store_id')
      .select(['payouts.id', 'payouts.checkout_id', 'payouts.store_id', 'payouts.currency', 'payouts.amount_minor', 'payouts.fee_minor', 'stores.policy', 'checkouts.order_id'])
      .where('payouts.status', '=', 'reserved')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('escrow_holds').select('escrow_holds.id').whereRef('escrow_holds.checkout_id', '=', 'payouts.checkout_id'))));
    if (checkoutId !== null) q = q.where('payouts.checkout_id', '=', checkoutId);
    // Locking the payouts serialises replicas opening the same hold: the second finds the first's row and skips it.
    const pending = await q.orderBy('payouts.checkout_id').limit(limit).forUpdate('payouts').execute();
    if (pending.length === 0) return [];
    const now = this.deps.clock.now();
    const orderIds = new Map(pending.map((p) => [p.checkout_id, p.order_id]));
    const opened = await trx
      .insertInto('escrow_holds')
      .values(
        pending.map((p) => {
          const policy = escrowPolicyFromJson((p.policy as { escrow?: unknown } | null)?.escrow);
          const hold = newEscrowHold({
            id: nextId('esc', this.deps.clock, this.deps.random),
            checkoutId: p.checkout_id as CheckoutId,
            storeId: p.store_id as StoreId,
            currency: p.currency as FiatCurrency,
            priceMinor: BigInt(p.amount_minor) + BigInt(p.fee_minor),
            feeMinor: BigInt(p.fee_minor),
            inspection: policy.inspection,
            autoAcceptDays: policy.autoAcceptDays,
          });
          return {
            id: hold.id,
            checkout_id: hold.checkoutId,
            payout_id: p.id,
            store_id: hold.storeId,
            currency: hold.currency,
            price_minor: hold.priceMinor.toString(),
            fee_minor: hold.feeMinor.toString(),
            held_minor: hold.heldMinor.toString(),
            inspection: hold.inspection,
            auto_accept_days: hold.autoAcceptDays,
            status: hold.status,
            shipped_at: null,
            delivered_at: null,
            acceptance_deadline: null,
            accepted_at: null,
            accepted_by: null,
            disputed_at: null,
            resolution: null,
            resolved_at: null,
            cancelled_at: null,
            created_at: now,
            updated_at: now,
          };
        }),
      )
      .onConflict((oc) => oc.column('checkout_id').doNothing())
      .returningAll()
      .execute();
    await this.#outbox.append(
      trx,
      opened.map((row) => ({
        eventId: `${row.id}:escrow.held`,
        eventType: 'escrow.held',
        aggregateType: 'checkout',
        aggregateId: row.checkout_id,
        payload: { ...holdEventBody(row, orderIds.get(row.checkout_id) ?? '', this.deps.links?.acceptUrl(row.id as EscrowHoldId) ?? null), type: 'escrow.held', note: null, occurredAt: now } satisfies EscrowHoldEvent,
      })),
    );
    return opened;
  }

  async #holdRow(executor: Kysely<DB>, where: { holdId: EscrowHoldId } | { checkoutId: CheckoutId }, lock: boolean): Promise<HoldRow | undefined> {
    let q = executor.selectFrom('escrow_holds').selectAll();
    q = 'holdId' in where ? q.where('id', '=', where.holdId) : q.where('checkout_id', '=', where.checkoutId);
    return (lock ? q.forUpdate() : q).executeTakeFirst();
  }

  async #view(row: HoldRow): Promise<EscrowHoldView> {
    const checkout = await this.deps.db.kysely.selectFrom('checkouts').select('order_id').where('id', '=', row.checkout_id).executeTakeFirstOrThrow();
    return { ...holdOf(row), payoutId: row.payout_id, orderId: checkout.order_id, createdAt: row.created_at };
  }

  async #disputes(refine: (q: DisputeQuery) => DisputeQuery): Promise<Dispute[]> {
    const rows = await refine(disputeQuery(this.deps.db.kysely)).execute();
    return rows.map((r) => ({
      id: r.id as DisputeId,
      holdId: r.escrow_hold_id as EscrowHoldId,
      checkoutId: r.checkout_id as CheckoutId,
      storeId: r.store_id as StoreId,
      reason: r.reason,
      status: r.status,
      resolution: r.resolution,
      refundMinor: r.refund_minor === null ? null : BigInt(r.refund_minor),
      operatorNote: r.operator_note,
      openedAt: r.opened_at,
      resolvedAt: r.resolved_at,
      acceptanceDeadline: r.acceptance_deadline,
      currency: r.currency as FiatCurrency,
      heldMinor: BigInt(r.held_minor),
    }));
  }
}

/** Disputes joined to their holds. */
function disputeQuery(db: Kysely<DB>) {
  return db
    .selectFrom('disputes')
    .innerJoin('escrow_holds', 'escrow_holds.id', 'disputes.escrow_hold_id')
    .selectAll('disputes')
    .select(['escrow_holds.acceptance_deadline', 'escrow_holds.currency', 'escrow_holds.held_minor']);
}
type DisputeQuery = ReturnType<typeof disputeQuery>;

interface ApplyContext {
  readonly disputeReason?: string;
  readonly operatorNote?: string | null;
  readonly cancelReason?: string;
}

/** The free text an event carries: the shopper's dispute reason, the operator's note, the store's cancel reason. */
function noteOf(type: EscrowHoldEvent['type'], context: ApplyContext): string | null {
  switch (type) {
    case 'dispute.opened':
      return context.disputeReason ?? null;
    case 'dispute.resolved':
      return context.operatorNote ?? null;
    case 'order.cancelled_by_store':
      return context.cancelReason ?? null;
    case 'escrow.held':
    case 'escrow.shipped':
    case 'escrow.delivered':
    case 'escrow.accepted':
      return null;
  }
}

function holdOf(row: HoldRow): EscrowHold {
  return {
    id: row.id as EscrowHoldId,
    checkoutId: row.checkout_id as CheckoutId,
    storeId: row.store_id as StoreId,
    currency: row.currency as FiatCurrency,
    priceMinor: BigInt(row.price_minor),
    feeMinor: BigInt(row.fee_minor),
    heldMinor: BigInt(row.held_minor),
    inspection: row.inspection,
    autoAcceptDays: row.auto_accept_days,
    status: row.status,
    shippedAt: row.shipped_at,
    deliveredAt: row.delivered_at,
    acceptanceDeadline: row.acceptance_deadline,
    acceptedAt: row.accepted_at,
    acceptedBy: row.accepted_by,
    disputedAt: row.disputed_at,
    resolution: row.resolution,
    resolvedAt: row.resolved_at,
    cancelledAt: row.cancelled_at,
    releasedMinor: BigInt(row.released_minor),
    refundFromEscrowMinor: BigInt(row.refund_from_escrow_minor),
    refundFeeMinor: BigInt(row.refund_fee_minor),
    version: row.version,
  };
}

function holdEventBody(row: HoldRow, orderId: string, acceptUrl: string | null): Omit<EscrowHoldEvent, 'type' | 'occurredAt' | 'note'> {
  const hold = holdOf(row);
  return {
    holdId: hold.id,
    storeId: hold.storeId,
    checkoutId: hold.checkoutId,
    orderId,
    status: hold.status,
    inspection: hold.inspection,
    currency: hold.currency,
    heldMinor: hold.heldMinor,
    releasedMinor: hold.releasedMinor,
    refundMinor: hold.refundFromEscrowMinor + hold.refundFeeMinor,
    acceptanceDeadline: hold.acceptanceDeadline,
    acceptedBy: hold.acceptedBy,
    resolution: hold.resolution,
    acceptUrl,
  };
}

function carrierOf(row: Selectable<DB['carriers']>): Carrier {
  return { id: row.id as CarrierId, code: row.code, name: row.name, createdAt: row.created_at };
}

function shipmentOf(row: Selectable<DB['shipments']>, carrierCode: string): Shipment {
  return {
    id: row.id,
    checkoutId: row.checkout_id as CheckoutId,
    storeId: row.store_id as StoreId,
    carrierId: row.carrier_id as CarrierId,
    carrierCode,
    trackingNumber: row.tracking_number,
    status: row.status,
    escrowHoldId: row.escrow_hold_id as EscrowHoldId | null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function refundOf(row: RefundRow): Refund {
  return {
    id: row.id as RefundId,
    holdId: row.escrow_hold_id as EscrowHoldId,
    checkoutId: row.checkout_id as CheckoutId,
    storeId: row.store_id as StoreId,
    reason: row.reason,
    currency: row.currency as FiatCurrency,
    refundMinor: BigInt(row.refund_minor),
    asset: row.asset as CryptoAsset,
    ratePolicy: row.rate_policy,
    status: row.status,
    shopperAccountId: row.shopper_account_id as ShopperAccountId | null,
    creditedAt: row.credited_at,
    address: row.address,
    rate: row.rate,
    amountBase: row.amount_base === null ? null : BigInt(row.amount_base),
    txid: row.txid,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  };
}

function refundMessage(refund: Refund, type: RefundEvent['type'], refundUrl: string | null, now: Date): OutboxMessage {
  const event: RefundEvent = {
    type,
    refundId: refund.id,
    storeId: refund.storeId,
    checkoutId: refund.checkoutId,
    currency: refund.currency,
    refundMinor: refund.refundMinor,
    asset: refund.asset,
    refundUrl,
    shopperAccountId: refund.shopperAccountId,
    address: refund.address,
    rate: refund.rate,
    amountBase: refund.amountBase,
    txid: refund.txid,
    occurredAt: now,
  };
  return { eventId: `${refund.id}:${type}`, eventType: type, aggregateType: 'checkout', aggregateId: refund.checkoutId, payload: event };
}
