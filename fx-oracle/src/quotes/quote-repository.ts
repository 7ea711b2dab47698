import type { Quote } from './quote';

/** Persistence of locked quotes (the `quotes` table). */
export interface QuoteRepository {
  /** Stores a new quote; ids are unique, so a second insert of the same id fails. */
  insert(quote: Quote): Promise<void>;
  /** The quote with this id, or `null`. */
  findById(id: string): Promise<Quote | null>;
}

/** A repository that can store many quotes in one statement (all or none). */
export interface BulkQuoteRepository extends QuoteRepository {
  insertMany(quotes: readonly Quote[]): Promise<void>;
}
