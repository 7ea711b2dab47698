import { type CryptoAsset, type FiatCurrency, isCryptoAsset, isFiatCurrency, NotFoundError, parseId, type StoreId, ValidationError } from '@coinstile/core';
import { pipelineKysely, storedReceipt } from '@coinstile/merchant-payouts';
import type { Database, EscrowStatusValue, ShipmentsTable } from '@coinstile/platform';
import { sql } from 'kysely';

/** One line of an order, as the shop sent it with the checkout. */
export interface OrderItem {
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: string | null;
  readonly sku: string | null;
}

/** A released order as the inbox lists it. */
export interface ReleasedOrder {
  readonly checkoutId: string;
  readonly orderId: string;
  readonly releasedAt: Date;
  /** The fiat price locked at quote time. */
  readonly priceMinor: bigint;
  readonly currency: FiatCurrency;
  readonly feeMinor: bigint;
  readonly escrow: boolean;
  readonly asset: CryptoAsset | null;
  readonly amountPaidBase: bigint;
  readonly items: readonly OrderItem[];
  /** The escrow hold's status when the order is escrowed (the payout waits for acceptance). */
  readonly escrowStatus: EscrowStatusValue | null;
  readonly shipment: OrderShipment | null;
}

/** The shipment the store registered for an order. */
export interface OrderShipment {
  readonly status: ShipmentsTable['status'];
  readonly carrierName: string;
  readonly trackingNumber: string;
}

export interface OrderPayment {
  readonly txid: string;
  readonly outputIndex: number;
  readonly asset: CryptoAsset | null;
  readonly amountBase: bigint;
  readonly confirmations: number;
  readonly state: string;
}

/** Everything the order page shows. */
export interface OrderDetail {
  readonly order: ReleasedOrder;
  readonly rate: string | null;
  readonly amountDueBase: bigint | null;
  readonly address: string | null;
  readonly payments: readonly OrderPayment[];
  readonly receipt: { readonly id: string; readonly kid: string; readonly jws: string; readonly issuedAt: Date } | null;
  readonly payout: { readonly id: string; readonly status: string; readonly amountMinor: bigint } | null;
}

export interface OrderPage {
  readonly rows: readonly ReleasedOrder[];
  readonly nextCursor: string | null;
}

/** Where the inbox has got to: the newest release it showed. */
export interface ReleaseCursor {
  readonly releasedAt: Date;
  readonly checkoutId: string;
}

export function encodeReleaseCursor(c: ReleaseCursor): string {
  return Buffer.from(`${c.releasedAt.toISOString()}|${c.checkoutId}`, 'utf8').toString('base64url');
}

/** A cursor this portal issued; anything else is a 400 `invalid_cursor`. */
export function decodeReleaseCursor(text: string): ReleaseCursor {
  const [at = '', id = ''] = Buffer.from(text.slice(0, 200), 'base64url').toString('utf8').split('|');
  const releasedAt = new Date(at);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(at) || Number.isNaN(releasedAt.getTime())) {
    throw new ValidationError('The cursor is not one this portal issued', { field: 'cursor' }, 'invalid_cursor');
  }
  try {
    return { releasedAt, checkoutId: parseId('co', id) };
  } catch {
    throw new ValidationError('The cursor is not one this portal issued', { field: 'cursor' }, 'invalid_cursor');
  }
}

function itemsOf(value: unknown): OrderItem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null) return [];
    const item = raw as Record<string, unknown>;
    if (typeof item['name'] !== 'string') return [];
    return [
      {
        name: item['name'],
        quantity: typeof item['quantity'] === 'number' ? item['quantity'] : 1,
        unitPrice: typeof item['unitPrice'] === 'string' ? item['unitPrice'] : null,
        sku: typeof item['sku'] === 'string' ? item['sku'] : null,
      },
    ];
  });
}

function releasesOf(db: Database, storeId: StoreId) {
  return pipelineKysely(db)
    .selectFrom('order_releases as r')
    .innerJoin('checkouts as c', 'c.id', 'r.checkout_id')
    .leftJoin('escrow_holds as h', 'h.checkout_id', 'r.checkout_id')
    .leftJoin('shipments as s', 's.checkout_id', 'r.checkout_id')
    .leftJoin('carriers as k', 'k.id', 's.carrier_id')
    .select([
      'r.checkout_id', 'r.released_at', 'r.price_minor', 'r.currency', 'r.fee_minor', 'r.escrow', 'c.order_id', 'c.items', 'c.asset', 'c.amount_paid_base',
      'h.status as escrow_status', 's.status as shipment_status', 's.tracking_number', 'k.name as carrier_name',
    ])
    .where('r.store_id', '=', storeId);
}

type ReleaseRow = Awaited<ReturnType<ReturnType<typeof releasesOf>['execute']>>[number];

function orderOf(r: ReleaseRow): ReleasedOrder {
  if (!isFiatCurrency(r.currency)) throw new Error(`order ${r.checkout_id} has currency ${r.currency}`);
  return {
    checkoutId: r.checkout_id,
    orderId: r.order_id,
    releasedAt: new Date(r.released_at),
    priceMinor: BigInt(r.price_minor),
    currency: r.currency,
    feeMinor: BigInt(r.fee_minor),
    escrow: r.escrow,
    asset: r.asset !== null && isCryptoAsset(r.asset) ? r.asset : null,
    amountPaidBase: BigInt(r.amount_paid_base),
    items: itemsOf(r.items),
    escrowStatus: r.escrow_status,
    shipment: r.shipment_status === null || r.tracking_number === null ? null : { status: r.shipment_status, carrierName: r.carrier_name ?? '', trackingNumber: r.tracking_number },
  };
}

/** The store's released orders, newest first, `limit` per page. */
export async function listReleasedOrders(db: Database, storeId: StoreId, opts: { cursor?: string; limit: number }): Promise<OrderPage> {
  let q = releasesOf(db, storeId);
  if (opts.cursor !== undefined) {
    const c = decodeReleaseCursor(opts.cursor);
    q = q.where(sql<boolean>`(r.released_at, r.checkout_id) < (${c.releasedAt}, ${c.checkoutId})`);
  }
  const rows = await q.orderBy('r.released_at', 'desc').orderBy('r.checkout_id', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit).map(orderOf);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > opts.limit && last ? encodeReleaseCursor(last) : null };
}

/** Releases after `after` (oldest first, at most `limit`): what a live inbox has not shown yet. */
export async function releasedSince(db: Database, storeId: StoreId, after: ReleaseCursor | null, limit: number): Promise<ReleasedOrder[]> {
  let q = releasesOf(db, storeId);
  if (after !== null) q = q.where(sql<boolean>`(r.released_at, r.checkout_id) > (${after.releasedAt}, ${after.checkoutId})`);
  const rows = await q.orderBy('r.released_at', 'asc').orderBy('r.checkout_id', 'asc').limit(limit).execute();
  return rows.map(orderOf);
}

/** The store's checkouts that may still be released (not final, or settled and waiting): what a live inbox watches. */
export async function checkoutsAwaitingRelease(db: Database, storeId: StoreId, limit: number): Promise<{ id: string; version: number }[]> {
  return pipelineKysely(db)
    .selectFrom('checkouts as c')
    .leftJoin('order_releases as r', 'r.checkout_id', 'c.id')
    .select(['c.id', 'c.version'])
    .where('c.store_id', '=', storeId)
    .where('c.status', 'in', ['new', 'processing', 'settled'])
    .where('r.checkout_id', 'is', null)
    .orderBy('c.id', 'desc')
    .limit(limit)
    .execute();
}

/** One released order of `storeId` with its payments, receipt and payout; any other id is a 404. */
export async function orderDetail(db: Database, storeId: StoreId, checkoutIdText: string): Promise<OrderDetail> {
  const checkoutId = parseId('co', checkoutIdText);
  const row = await releasesOf(db, storeId).where('r.checkout_id', '=', checkoutId).executeTakeFirst();
  if (!row) throw new NotFoundError('order', checkoutIdText);
  const [checkout, payments, receipt, payout] = await Promise.all([
    db.kysely.selectFrom('checkouts').select(['rate', 'amount_due_base', 'address', 'counted_payment_ids']).where('id', '=', checkoutId).executeTakeFirstOrThrow(),
    db.kysely
      .selectFrom('payments')
      .select(['id', 'txid', 'output_index', 'asset', 'amount_base', 'confirmations', 'state'])
      .where('checkout_id', '=', checkoutId)
      .orderBy('first_seen_at')
      .orderBy('id')
      .execute(),
    storedReceipt(db, checkoutId),
    db.kysely.selectFrom('payouts').select(['id', 'status', 'amount_minor']).where('checkout_id', '=', checkoutId).where('store_id', '=', storeId).executeTakeFirst(),
  ]);
  return {
    order: orderOf(row),
    rate: checkout.rate,
    amountDueBase: checkout.amount_due_base === null ? null : BigInt(checkout.amount_due_base),
    address: checkout.address,
    payments: payments.map((p) => ({
      txid: p.txid,
      outputIndex: p.output_index,
      asset: isCryptoAsset(p.asset) ? p.asset : null,
      amountBase: BigInt(p.amount_base),
      confirmations: p.confirmations,
      state: p.state,
    })),
    receipt: receipt ? { id: receipt.id, kid: receipt.kid, jws: receipt.jws, issuedAt: receipt.issuedAt } : null,
    payout: payout ? { id: payout.id, status: payout.status, amountMinor: BigInt(payout.amount_minor) } : null,
  };
}
