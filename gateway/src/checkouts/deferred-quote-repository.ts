import type { Quote, QuoteRepository } from '@coinstile/fx-oracle';
import { type JsonValue, type QuotesTable, toJsonValue } from '@coinstile/platform';

/**
 * The quote repository of checkout creation: a locked quote is held in memory until the checkout that
 * takes it is written, and then goes into the database in the same statement as the checkout (so a
 * quote and its checkout commit together, and creating a checkout costs no separate quote INSERT). A quote
 * whose checkout is not written is dropped: it was shown to no one.
 */
export class DeferredQuoteRepository implements QuoteRepository {
  private readonly pending = new Map<string, Quote>();

  constructor(private readonly stored: QuoteRepository) {}

  insert(quote: Quote): Promise<void> {
    this.pending.set(quote.id, quote);
    return Promise.resolve();
  }

  async findById(id: string): Promise<Quote | null> {
    return this.pending.get(id) ?? this.stored.findById(id);
  }

  /** Removes the pending quote `id` and returns it (to write it, or to forget it). */
  take(id: string): Quote | undefined {
    const quote = this.pending.get(id);
    this.pending.delete(id);
    return quote;
  }
}

/** The columns of `quotes` a checkout's statement writes. */
export const QUOTE_COLUMNS = [
  'id',
  'store_id',
  'base_asset',
  'quote_currency',
  'rate',
  'spread_bps',
  'sources',
  'amount_due_base',
  'price_minor',
  'created_at',
  'expires_at',
] as const satisfies readonly (keyof QuotesTable)[];

/**
 * The `quotes` row of a quote as a JSON object for `jsonb_populate_recordset`, holding exactly what
 * fx-oracle's `KyselyQuoteRepository` writes (and reads back).
 */
export function quoteRow(quote: Quote): Record<(typeof QUOTE_COLUMNS)[number], JsonValue | Date> {
  return {
    id: quote.id,
    store_id: quote.storeId,
    base_asset: quote.asset,
    quote_currency: quote.currency,
    rate: quote.rate,
    spread_bps: quote.spreadBps,
    sources: toJsonValue({ marketRate: quote.marketRate, demo: quote.demo, values: quote.sources.map((component) => ({ ...component })) }),
    amount_due_base: quote.amountDueBase.toString(),
    price_minor: quote.priceMinor.toString(),
    created_at: quote.createdAt,
    expires_at: quote.expiresAt,
  };
}
