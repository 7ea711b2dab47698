import type { Kysely, Selectable } from 'kysely';
import {
  parseId,
  ValidationError,
  type Checkout,
  type CheckoutEvent,
  type CheckoutRepository as CheckoutRepositoryPort,
  type OutboxMessage,
  type CheckoutId,
  type CheckoutStatus,
  type CryptoAsset,
  type FiatCurrency,
  type PaymentId,
  type QuoteId,
  type Rate,
  type StoreId,
} from '@coinstile/core';
import type { Database } from './database';
import { jsonText, type JsonValue } from './json';
import { OutboxRepository } from './outbox-repository';
import type { CheckoutsTable, DB } from './schema';

/** What the store sent with a checkout that the state machine does not look at. */
export interface CheckoutDetails {
  /** Assets the hosted page offers the shopper (empty: every asset the store has a wallet for). */
  readonly assetsOffered: readonly CryptoAsset[];
  /** BIP32 index of `address` under the store's xpub for `asset`; null while no asset is chosen. */
  readonly derivationIndex: number | null;
  /** The payout waits for the shopper's or carrier's confirmation of receipt. */
  readonly escrow: boolean;
  readonly metadata: { readonly [key: string]: JsonValue };
  readonly items: readonly JsonValue[];
}

/** A stored checkout: the domain checkout plus its details and when it was cancelled. */
export interface CheckoutRecord extends Checkout, CheckoutDetails {
  readonly cancelledAt: Date | null;
}

export interface CheckoutListQuery {
  readonly status?: CheckoutStatus;
  /** 1 to 100; default 20. */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string | null;
}

export interface CheckoutPage {
  readonly data: CheckoutRecord[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** A list cursor that this API did not issue. 400 `invalid_cursor`. */
export class InvalidCursorError extends ValidationError {
  constructor() {
    super('The cursor is not one this API issued', { field: 'cursor' }, 'invalid_cursor');
  }
}

const DEFAULT_DETAILS: CheckoutDetails = { assetsOffered: [], derivationIndex: null, escrow: false, metadata: {}, items: [] };
const MAX_PAGE = 100;

/** The outbox message announcing a checkout event; its `dedupeKey` is the outbox `eventId`. */
export function checkoutEventMessage(event: CheckoutEvent): OutboxMessage {
  return {
    eventId: event.dedupeKey,
    eventType: event.type,
    aggregateType: 'checkout',
    aggregateId: event.checkoutId,
    payload: event,
  };
}

/**
 * Checkouts in the store of record. Every change after `insert` goes through `compareAndSet`, which
 * writes the new state and the events announcing it in one transaction, or nothing at all.
 */
export class CheckoutRepository implements CheckoutRepositoryPort {
  readonly #db: Database;
  readonly #outbox: OutboxRepository;

  constructor(db: Database) {
    this.#db = db;
    this.#outbox = new OutboxRepository(db);
  }

  /**
   * Stores a new checkout (and, in the same transaction, `events` if any). Uses `executor` when given,
   * so creation can share a transaction with address allocation and idempotency bookkeeping.
   */
  async insert(
    checkout: Checkout,
    details: Partial<CheckoutDetails> = {},
    events: readonly CheckoutEvent[] = [],
    executor?: Kysely<DB>,
  ): Promise<void> {
    const d = { ...DEFAULT_DETAILS, ...details };
    const write = async (trx: Kysely<DB>): Promise<void> => {
      await trx
        .insertInto('checkouts')
        .values({
          id: checkout.id,
          store_id: checkout.storeId,
          order_id: checkout.orderId,
          price_minor: checkout.priceMinor.toString(),
          currency: checkout.currency,
          assets_offered: [...d.assetsOffered],
          derivation_index: d.derivationIndex === null ? null : String(d.derivationIndex),
          escrow: d.escrow,
          metadata: jsonText(d.metadata),
          items: jsonText(d.items),
          created_at: checkout.createdAt,
          ...mutableColumns(checkout),
        })
        .execute();
      await this.#outbox.append(trx, events.map(checkoutEventMessage));
    };
    if (executor) await write(executor);
    else await this.#db.transaction(write);
  }

  /** The checkout `id` if it belongs to `storeId`; null otherwise (another store's id is not found). */
  async get(storeId: StoreId, id: CheckoutId, executor: Kysely<DB> = this.#db.kysely): Promise<CheckoutRecord | null> {
    const row = await executor.selectFrom('checkouts').selectAll().where('id', '=', id).where('store_id', '=', storeId).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** The checkout `id` whatever its store: for internal services (verifier, pipeline), never for API callers. */
  async findById(id: CheckoutId, executor: Kysely<DB> = this.#db.kysely): Promise<CheckoutRecord | null> {
    const row = await executor.selectFrom('checkouts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** The checkout paid through `address` in `asset` (what the chain follower matches outputs against). */
  async findByAddress(asset: CryptoAsset, address: string, executor: Kysely<DB> = this.#db.kysely): Promise<CheckoutRecord | null> {
    const row = await executor.selectFrom('checkouts').selectAll().where('asset', '=', asset).where('address', '=', address).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** A store's checkouts, newest first, optionally of one status, a page at a time (keyset on the id). */
  async list(storeId: StoreId, query: CheckoutListQuery = {}): Promise<CheckoutPage> {
    const limit = query.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE}`, { field: 'limit' });
    }
    let q = this.#db.kysely.selectFrom('checkouts').selectAll().where('store_id', '=', storeId);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.cursor !== undefined && query.cursor !== null) q = q.where('id', '<', decodeCursor(query.cursor));
    // Ids start with their creation time (ULID-like), so id order is creation order, ties broken.
    const rows = await q.orderBy('id', 'desc').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toRecord),
      nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null,
    };
  }

  /**
   * Writes `next` only if the stored checkout is still at `expectedVersion`, and appends `events` to
   * the outbox, in one transaction. Returns false, having written nothing, when another writer moved
   * the version first (re-read and re-evaluate). `next.version` must be `expectedVersion + 1`.
   * With `executor` the caller's transaction is used (and committing it is the caller's business).
   */
  async compareAndSet(
    next: Checkout | CheckoutRecord,
    expectedVersion: number,
    events: readonly CheckoutEvent[],
    executor?: Kysely<DB>,
  ): Promise<boolean> {
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(`compareAndSet: next.version must be ${expectedVersion + 1}, got ${next.version}`);
    }
    const write = async (trx: Kysely<DB>): Promise<boolean> => {
      const result = await trx
        .updateTable('checkouts')
        .set({
          ...mutableColumns(next),
          ...('derivationIndex' in next ? { derivation_index: next.derivationIndex === null ? null : String(next.derivationIndex) } : {}),
          cancelled_at: (eb) =>
            next.status === 'cancelled' ? eb.fn.coalesce('cancelled_at', eb.val(new Date())) : eb.val(null),
        })
        .where('id', '=', next.id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      await this.#outbox.append(trx, events.map(checkoutEventMessage));
      return true;
    };
    return executor ? write(executor) : this.#db.transaction(write);
  }
}

/** Columns a transition may change (everything but identity, price and creation details). */
function mutableColumns(c: Checkout) {
  return {
    asset: c.asset,
    address: c.address,
    amount_due_base: c.amountDueBase === null ? null : c.amountDueBase.toString(),
    quote_id: c.quoteId,
    rate: c.rate,
    quote_expires_at: c.quoteExpiresAt,
    status: c.status,
    exception: c.exception,
    invalid_reason: c.invalidReason,
    amount_paid_base: c.amountPaidBase.toString(),
    counted_payment_ids: [...c.countedPaymentIds],
    reversed_payment_ids: [...c.reversedPaymentIds],
    version: c.version,
    expires_at: c.expiresAt,
    monitoring_until: c.monitoringUntil,
    settled_at: c.settledAt,
  } satisfies Partial<Record<keyof CheckoutsTable, unknown>>;
}

/**
 * The domain checkout of a `checkouts` row: core's fields only (what `evaluate` reads and
 * `compareAndSet` writes; the gateway's details are left as they are).
 */
export function checkoutFromRow(row: Selectable<CheckoutsTable>): Checkout {
  return {
    id: row.id as CheckoutId,
    storeId: row.store_id as StoreId,
    orderId: row.order_id,
    priceMinor: BigInt(row.price_minor),
    currency: row.currency as FiatCurrency,
    asset: row.asset as CryptoAsset | null,
    address: row.address,
    amountDueBase: row.amount_due_base === null ? null : BigInt(row.amount_due_base),
    quoteId: row.quote_id as QuoteId | null,
    rate: row.rate as Rate | null,
    quoteExpiresAt: row.quote_expires_at,
    status: row.status,
    exception: row.exception,
    invalidReason: row.invalid_reason,
    amountPaidBase: BigInt(row.amount_paid_base),
    countedPaymentIds: row.counted_payment_ids as PaymentId[],
    reversedPaymentIds: row.reversed_payment_ids as PaymentId[],
    version: row.version,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    monitoringUntil: row.monitoring_until,
    settledAt: row.settled_at,
  };
}

function toRecord(row: Selectable<CheckoutsTable>): CheckoutRecord {
  return {
    ...checkoutFromRow(row),
    cancelledAt: row.cancelled_at,
    assetsOffered: row.assets_offered as CryptoAsset[],
    derivationIndex: row.derivation_index === null ? null : Number(row.derivation_index),
    escrow: row.escrow,
    metadata: row.metadata as { [key: string]: JsonValue },
    items: row.items as JsonValue[],
  };
}

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): CheckoutId {
  try {
    return parseId('co', Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
}
