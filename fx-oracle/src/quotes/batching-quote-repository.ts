import type { Quote } from './quote';
import type { BulkQuoteRepository, QuoteRepository } from './quote-repository';

interface Pending {
  readonly quote: Quote;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit for quote inserts: the inserts requested within one turn of the event loop go to the
 * database as one multi-row INSERT, and each caller's promise settles when that statement has committed,
 * so `lock` still only returns persisted quotes. When a batch fails, its quotes are retried one by one,
 * so a bad row (an unknown store) fails only its own caller.
 */
export class BatchingQuoteRepository implements QuoteRepository {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly inner: BulkQuoteRepository,
    private readonly maxBatchSize = 500,
  ) {}

  insert(quote: Quote): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ quote, resolve, reject });
      if (this.queue.length >= this.maxBatchSize) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  findById(id: string): Promise<Quote | null> {
    return this.inner.findById(id);
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    void this.inner.insertMany(batch.map((pending) => pending.quote)).then(
      () => batch.forEach((pending) => pending.resolve()),
      (error: unknown) => {
        if (batch.length === 1) {
          batch[0]?.reject(error);
          return;
        }
        for (const pending of batch) {
          this.inner.insert(pending.quote).then(pending.resolve, pending.reject);
        }
      },
    );
  }
}
