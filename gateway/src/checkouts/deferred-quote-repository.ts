import type { Quote, QuoteRepository } from '@coinstile/fx-oracle';
import type { QuotesTable } from '@coinstile/platform';
import type { Insertable } from 'kysely';

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

/** The `quotes` row of a quote, exactly as fx-oracle's `KyselyQuoteRepository` writes it (and reads it back). */
export function quoteRow(quote: Quote): Insertable<QuotesTable> {
  return {
    id: quote.id,
    store_id: quote.storeId,
    base_asset: quote.asset,
    quote_currency: quote.currency,
    rate: quote.rate,
    spread_bps: quote.spreadBps,
    sources: JSON.stringify({ marketRate: quote.marketRate, demo: quote.demo, values: quote.sources.map((component) => ({ ...component })) }),
    amount_due_base: quote.amountDueBase.toString(),
    price_minor: quote.priceMinor.toString(),
    created_at: quote.createdAt,
    expires_at: quote.expiresAt,
  };
}
