import { type IdPrefix, parseId, ValidationError } from '@coinstile/core';
import type { CheckoutStatusValue, Database, PayoutStatusValue } from '@coinstile/platform';
import { dashboardKysely } from './dashboard-schema';

export const CHECKOUT_STATUSES: readonly CheckoutStatusValue[] = ['new', 'processing', 'settled', 'expired', 'invalid', 'cancelled'];
export const PAYOUT_STATUSES: readonly PayoutStatusValue[] = ['reserved', 'scheduled', 'sent', 'paid', 'failed', 'returned', 'refunded'];

/** Rows per page of a list. */
export const PAGE_SIZE = 50;

/** The filters of a list page, validated from the query string. */
export interface ListFilter<S extends string> {
  readonly status: S | undefined;
  readonly storeId: string | undefined;
  /** Inclusive, the start of a UTC day. */
  readonly from: Date | undefined;
  /** Exclusive, the end of a UTC day. */
  readonly to: Date | undefined;
  /** Rows older than this id (ids sort by creation time). */
  readonly cursor: string | undefined;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function optionalText(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ValidationError(`${name} must be given once`, { [name]: value });
  return value;
}

function day(query: Record<string, unknown>, name: string, endOfDay: boolean): Date | undefined {
  const text = optionalText(query, name);
  if (text === undefined) return undefined;
  const date = DAY.test(text) ? new Date(`${text}T00:00:00Z`) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new ValidationError(`${name} must be a date like 2026-11-21`, { [name]: text });
  return endOfDay ? new Date(date.getTime() + 86_400_000) : date;
}

function idParam(query: Record<string, unknown>, name: string, prefix: IdPrefix): string | undefined {
  const text = optionalText(query, name);
  return text === undefined ? undefined : parseId(prefix, text);
}

/** The list filter of `query`, or a `ValidationError` naming the bad parameter. */
export function parseListFilter<S extends string>(query: Record<string, unknown>, statuses: readonly S[], idPrefix: IdPrefix): ListFilter<S> {
  const status = optionalText(query, 'status');
  if (status !== undefined && !(statuses as readonly string[]).includes(status)) {
    throw new ValidationError(`status must be one of ${statuses.join(', ')}`, { status });
  }
  return {
    status: status as S | undefined,
    storeId: idParam(query, 'store', 'st'),
    from: day(query, 'from', false),
    to: day(query, 'to', true),
    cursor: idParam(query, 'cursor', idPrefix),
  };
}

export interface CheckoutRow {
  readonly id: string;
  readonly storeId: string;
  readonly storeName: string;
  readonly orderId: string;
  readonly status: CheckoutStatusValue;
  readonly exception: string;
  readonly priceMinor: bigint;
  readonly currency: string;
  readonly asset: string | null;
  readonly createdAt: Date;
  readonly settledAt: Date | null;
}

export interface PayoutRow {
  readonly id: string;
  readonly storeId: string;
  readonly storeName: string;
  readonly checkoutId: string;
  readonly amountMinor: bigint;
  readonly feeMinor: bigint;
  readonly currency: string;
  readonly status: PayoutStatusValue;
  readonly provider: string | null;
  readonly attempt: number;
  readonly failureReason: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Page<T> {
  readonly rows: readonly T[];
  /** The cursor of the next page, or null on the last one. */
  readonly nextCursor: string | null;
}

function page<T extends { id: string }>(rows: T[]): Page<T> {
  const more = rows.length > PAGE_SIZE;
  const shown = more ? rows.slice(0, PAGE_SIZE) : rows;
  return { rows: shown, nextCursor: more ? (shown[shown.length - 1]?.id ?? null) : null };
}

/** Checkouts newest first, filtered, one page after `filter.cursor`. */
export async function listCheckouts(db: Database, filter: ListFilter<CheckoutStatusValue>): Promise<Page<CheckoutRow>> {
  let query = dashboardKysely(db)
    .selectFrom('checkouts as c')
    .innerJoin('stores as s', 's.id', 'c.store_id')
    .select([
      'c.id',
      'c.store_id',
      's.name as store_name',
      'c.order_id',
      'c.status',
      'c.exception',
      'c.price_minor',
      'c.currency',
      'c.asset',
      'c.created_at',
      'c.settled_at',
    ])
    .orderBy('c.id', 'desc')
    .limit(PAGE_SIZE + 1);
  if (filter.status) query = query.where('c.status', '=', filter.status);
  if (filter.storeId) query = query.where('c.store_id', '=', filter.storeId);
  if (filter.from) query = query.where('c.created_at', '>=', filter.from);
  if (filter.to) query = query.where('c.created_at', '<', filter.to);
  if (filter.cursor) query = query.where('c.id', '<', filter.cursor);
  const rows = await query.execute();
  return page(
    rows.map((r) => ({
      id: r.id,
      storeId: r.store_id,
      storeName: r.store_name,
      orderId: r.order_id,
      status: r.status,
      exception: r.exception,
      priceMinor: BigInt(r.price_minor),
      currency: r.currency,
      asset: r.asset,
      createdAt: r.created_at,
      settledAt: r.settled_at,
    })),
  );
}

/** Payouts newest first, filtered, one page after `filter.cursor`. */
export async function listPayouts(db: Database, filter: ListFilter<PayoutStatusValue>): Promise<Page<PayoutRow>> {
  let query = dashboardKysely(db)
    .selectFrom('payouts as p')
    .innerJoin('stores as s', 's.id', 'p.store_id')
    .select([
      'p.id',
      'p.store_id',
      's.name as store_name',
      'p.checkout_id',
      'p.amount_minor',
      'p.fee_minor',
      'p.currency',
      'p.status',
      'p.provider',
      'p.attempt',
      'p.failure_reason',
      'p.created_at',
      'p.updated_at',
    ])
    .orderBy('p.id', 'desc')
    .limit(PAGE_SIZE + 1);
  if (filter.status) query = query.where('p.status', '=', filter.status);
  if (filter.storeId) query = query.where('p.store_id', '=', filter.storeId);
  if (filter.from) query = query.where('p.created_at', '>=', filter.from);
  if (filter.to) query = query.where('p.created_at', '<', filter.to);
  if (filter.cursor) query = query.where('p.id', '<', filter.cursor);
  const rows = await query.execute();
  return page(rows.map(payoutRow));
}

function payoutRow(r: {
  id: string;
  store_id: string;
  store_name: string;
  checkout_id: string;
  amount_minor: string;
  fee_minor: string;
  currency: string;
  status: PayoutStatusValue;
  provider: string | null;
  attempt: number;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
}): PayoutRow {
  return {
    id: r.id,
    storeId: r.store_id,
    storeName: r.store_name,
    checkoutId: r.checkout_id,
    amountMinor: BigInt(r.amount_minor),
    feeMinor: BigInt(r.fee_minor),
    currency: r.currency,
    status: r.status,
    provider: r.provider,
    attempt: r.attempt,
    failureReason: r.failure_reason,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The stores, for the filter's drop-down. */
export async function listStores(db: Database): Promise<{ id: string; name: string }[]> {
  return db.kysely.selectFrom('stores').select(['id', 'name']).orderBy('name').limit(500).execute();
}

export interface CheckoutDetail {
  readonly checkout: CheckoutRow & {
    readonly amountDueBase: bigint | null;
    readonly amountPaidBase: bigint;
    readonly address: string | null;
    readonly expiresAt: Date;
    readonly invalidReason: string | null;
    readonly escrow: boolean;
  };
  readonly payments: readonly {
    id: string;
    txid: string;
    outputIndex: number;
    asset: string;
    amountBase: bigint;
    confirmations: number;
    state: string;
    firstSeenAt: Date;
  }[];
  readonly releasedAt: Date | null;
  readonly payout: PayoutRow | null;
  readonly events: readonly { eventId: string; eventType: string; createdAt: Date; publishedAt: Date | null }[];
  readonly deliveries: readonly {
    id: string;
    eventType: string;
    url: string;
    status: string;
    attempts: number;
    httpStatus: number | null;
    error: string | null;
    nextAttemptAt: Date | null;
  }[];
}

/** A checkout with its payments, release, payout, outbox events and their webhook deliveries. */
export async function checkoutDetail(db: Database, checkoutId: string): Promise<CheckoutDetail | null> {
  const k = dashboardKysely(db);
  const c = await k
    .selectFrom('checkouts as c')
    .innerJoin('stores as s', 's.id', 'c.store_id')
    .selectAll('c')
    .select('s.name as store_name')
    .where('c.id', '=', checkoutId)
    .executeTakeFirst();
  if (!c) return null;
  const [payments, release, payout] = await Promise.all([
    k.selectFrom('payments').selectAll().where('checkout_id', '=', checkoutId).orderBy('first_seen_at').execute(),
    k.selectFrom('order_releases').select('released_at').where('checkout_id', '=', checkoutId).executeTakeFirst(),
    k
      .selectFrom('payouts as p')
      .innerJoin('stores as s', 's.id', 'p.store_id')
      .select([
        'p.id',
        'p.store_id',
        's.name as store_name',
        'p.checkout_id',
        'p.amount_minor',
        'p.fee_minor',
        'p.currency',
        'p.status',
        'p.provider',
        'p.attempt',
        'p.failure_reason',
        'p.created_at',
        'p.updated_at',
      ])
      .where('p.checkout_id', '=', checkoutId)
      .executeTakeFirst(),
  ]);
  const aggregates = payout ? [checkoutId, payout.id] : [checkoutId];
  const events = await k
    .selectFrom('outbox')
    .select(['event_id', 'event_type', 'created_at', 'published_at'])
    .where('aggregate_id', 'in', aggregates)
    .orderBy('id')
    .limit(200)
    .execute();
  const deliveries =
    events.length === 0
      ? []
      : await k
          .selectFrom('webhook_deliveries as d')
          .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
          .select(['d.id', 'd.event_type', 'e.url', 'd.status', 'd.attempts', 'd.http_status', 'd.error', 'd.next_attempt_at'])
          .where(
            'd.event_id',
            'in',
            events.map((e) => e.event_id),
          )
          .orderBy('d.created_at')
          .execute();
  return {
    checkout: {
      id: c.id,
      storeId: c.store_id,
      storeName: c.store_name,
      orderId: c.order_id,
      status: c.status,
      exception: c.exception,
      priceMinor: BigInt(c.price_minor),
      currency: c.currency,
      asset: c.asset,
      createdAt: c.created_at,
      settledAt: c.settled_at,
      amountDueBase: c.amount_due_base === null ? null : BigInt(c.amount_due_base),
      amountPaidBase: BigInt(c.amount_paid_base),
      address: c.address,
      expiresAt: c.expires_at,
      invalidReason: c.invalid_reason,
      escrow: c.escrow,
    },
    payments: payments.map((p) => ({
      id: p.id,
      txid: p.txid,
      outputIndex: p.output_index,
      asset: p.asset,
      amountBase: BigInt(p.amount_base),
      confirmations: p.confirmations,
      state: p.state,
      firstSeenAt: p.first_seen_at,
    })),
    releasedAt: release?.released_at ?? null,
    payout: payout ? payoutRow(payout) : null,
    events: events.map((e) => ({ eventId: e.event_id, eventType: e.event_type, createdAt: e.created_at, publishedAt: e.published_at })),
    deliveries: deliveries.map((d) => ({
      id: d.id,
      eventType: d.event_type,
      url: d.url,
      status: d.status,
      attempts: d.attempts,
      httpStatus: d.http_status,
      error: d.error,
      nextAttemptAt: d.next_attempt_at,
    })),
  };
}
