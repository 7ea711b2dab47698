import { NotFoundError, parseId, type StoreId, ValidationError } from '@coinstile/core';
import type { Database, PayoutStatusValue } from '@coinstile/platform';
import { sql } from 'kysely';
import { type PayoutRow, type PayoutView, payoutView } from './payout-view';

export interface PayoutListQuery {
  readonly limit: number;
  readonly status?: PayoutStatusValue;
  readonly cursor?: string;
}

export interface PayoutPage {
  readonly data: readonly PayoutView[];
  /** Pass back as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

const COLUMNS = sql.raw(
  'id, store_id, checkout_id, status, amount_minor::text, fee_minor::text, currency, provider, provider_reference, failure_reason, due_at, created_at, sent_at, paid_at, failed_at, returned_at',
);

/** A store's payouts, newest first (the `payouts_store_created_idx` order), for `GET /v1/payouts`. */
export class PayoutReader {
  constructor(private readonly db: Database) {}

  async list(storeId: StoreId, query: PayoutListQuery): Promise<PayoutPage> {
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const { rows } = await sql<PayoutRow>`
      SELECT ${COLUMNS} FROM payouts
      WHERE store_id = ${storeId}
        ${query.status === undefined ? sql`` : sql`AND status = ${query.status}`}
        ${after === null ? sql`` : sql`AND (created_at, id) < (${after.createdAt}, ${after.id})`}
      ORDER BY created_at DESC, id DESC
      LIMIT ${query.limit + 1}`.execute(this.db.kysely);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return { data: page.map(payoutView), nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
  }

  /** Another store's payout is not found, as if it did not exist. */
  async get(storeId: StoreId, idText: string): Promise<PayoutView> {
    const id = parseId('po', idText);
    const { rows } = await sql<PayoutRow>`SELECT ${COLUMNS} FROM payouts WHERE id = ${id} AND store_id = ${storeId}`.execute(this.db.kysely);
    const row = rows[0];
    if (!row) throw new NotFoundError('payout', id);
    return payoutView(row);
  }
}

function encodeCursor(row: PayoutRow): string {
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (id === undefined || Number.isNaN(createdAt.getTime()) || !/^po_[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) {
    throw new ValidationError('The cursor is not one this API issued', { field: 'cursor' }, 'invalid_cursor');
  }
  return { createdAt, id };
}
