import { type CryptoAsset, type FiatCurrency, isCryptoAsset, isFiatCurrency, type QuoteId } from '@coinstile/core';
import type { DB, QuotesTable } from '@coinstile/platform';
import type { Insertable, Kysely } from 'kysely';
import { z } from 'zod';
import type { Quote } from './quote';
import type { BulkQuoteRepository, QuoteRepository } from './quote-repository';

/**
 * What the `sources` jsonb column holds: the market rate before the spread, the demo flag and every
 * source value used. (The table has no columns of their own for the first two.)
 */
const storedSourcesSchema = z.object({
  marketRate: z.string(),
  demo: z.boolean(),
  values: z.array(
    z.object({ source: z.string(), pair: z.string(), value: z.string(), observedAtMs: z.number(), demo: z.boolean() }),
  ),
});

/** Quotes in the platform database (PostgreSQL or PGlite) through its kysely instance. */
export class KyselyQuoteRepository implements QuoteRepository, BulkQuoteRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(quote: Quote): Promise<void> {
    await this.insertMany([quote]);
  }

  /** One multi-row INSERT: all the quotes are stored, or none. */
  async insertMany(quotes: readonly Quote[]): Promise<void> {
    if (quotes.length === 0) return;
    await this.db.insertInto('quotes').values(quotes.map(toRow)).execute();
  }

  async findById(id: string): Promise<Quote | null> {
    const row = await this.db.selectFrom('quotes').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    const asset: unknown = row.base_asset;
    const currency: unknown = row.quote_currency;
    if (!isCryptoAsset(asset) || !isFiatCurrency(currency) || row.store_id === null) {
      throw new Error(`Quote ${id} has a row this version cannot read`);
    }
    const sources = storedSourcesSchema.parse(typeof row.sources === 'string' ? JSON.parse(row.sources) : row.sources);
    return {
      id: row.id as QuoteId,
      storeId: row.store_id,
      asset: asset as CryptoAsset,
      currency: currency as FiatCurrency,
      priceMinor: BigInt(row.price_minor),
      amountDueBase: BigInt(row.amount_due_base),
      // NUMERIC keeps the scale it was written with, so the rate reads back exactly as quoted.
      rate: row.rate,
      marketRate: sources.marketRate,
      spreadBps: row.spread_bps,
      sources: sources.values.map((value) => ({ ...value, pair: value.pair as `${string}-${string}` })),
      demo: sources.demo,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }
}

function toRow(quote: Quote): Insertable<QuotesTable> {
  const sources: z.input<typeof storedSourcesSchema> = {
    marketRate: quote.marketRate,
    demo: quote.demo,
    values: quote.sources.map((component) => ({ ...component })),
  };
  return {
    id: quote.id,
    store_id: quote.storeId,
    base_asset: quote.asset,
    quote_currency: quote.currency,
    rate: quote.rate,
    spread_bps: quote.spreadBps,
    sources: JSON.stringify(sources),
    amount_due_base: quote.amountDueBase.toString(),
    price_minor: quote.priceMinor.toString(),
    created_at: quote.createdAt,
    expires_at: quote.expiresAt,
  };
}
