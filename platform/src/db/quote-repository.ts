import type { Kysely } from 'kysely';
import type { CryptoAsset, FiatCurrency, Quote, QuoteId, Rate, StoreId } from '@coinstile/core';
import type { Database } from './database';
import { jsonText, type JsonValue } from './json';
import type { DB } from './schema';

/** A locked quote with the audit trail of how its rate was made. */
export interface QuoteRecord extends Quote {
  /** The store it was locked for; null for quotes shown without a checkout (e.g. `/v1/rates`). */
  readonly storeId: StoreId | null;
  /** The spread applied over the market rate, in basis points. */
  readonly spreadBps: number;
  /** Every source value the rate was aggregated from (exchange, rate, time), as the oracle saw them. */
  readonly sources: JsonValue;
  readonly createdAt: Date;
}

/** Locked quotes. A checkout's `quoteId` must name a stored quote (foreign key). */
export class QuoteRepository {
  constructor(private readonly db: Database) {}

  async insert(quote: QuoteRecord, executor: Kysely<DB> = this.db.kysely): Promise<void> {
    await executor
      .insertInto('quotes')
      .values({
        id: quote.id,
        store_id: quote.storeId,
        base_asset: quote.asset,
        quote_currency: quote.currency,
        rate: quote.rate,
        spread_bps: quote.spreadBps,
        sources: jsonText(quote.sources),
        amount_due_base: quote.amountDueBase.toString(),
        price_minor: quote.priceMinor.toString(),
        created_at: quote.createdAt,
        expires_at: quote.expiresAt,
      })
      .execute();
  }

  async findById(id: QuoteId, executor: Kysely<DB> = this.db.kysely): Promise<QuoteRecord | null> {
    const row = await executor.selectFrom('quotes').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id as QuoteId,
      storeId: row.store_id as StoreId | null,
      asset: row.base_asset as CryptoAsset,
      currency: row.quote_currency as FiatCurrency,
      priceMinor: BigInt(row.price_minor),
      rate: row.rate as Rate,
      amountDueBase: BigInt(row.amount_due_base),
      spreadBps: row.spread_bps,
      sources: row.sources as JsonValue,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }
}
