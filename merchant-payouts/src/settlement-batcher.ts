import type { CheckoutId } from '@coinstile/core';
import { PipelineRefusedError } from './pipeline-errors';
import type { SettlementOutcome, SettlementProcessor } from './settlement-processor';

export interface SettlementBatcherOptions {
  /** Checkouts per transaction at most; default 100. */
  readonly maxBatch?: number;
  /** How long the first checkout of a batch waits for company; default 5 ms. */
  readonly maxWaitMs?: number;
}

interface Waiting {
  readonly checkoutId: CheckoutId;
  resolve(outcome: SettlementOutcome): void;
  reject(err: unknown): void;
}

/**
 * Group commit for the `release-order` worker: the checkouts of the jobs running at the same moment go
 * through `SettlementProcessor.processMany` together, one transaction and a constant number of
 * statements for all of them, instead of one transaction each. Each job still gets its own outcome or
 * refusal; when the transaction fails, every job of the batch fails and is retried by BullMQ.
 */
export class SettlementBatcher {
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #maxBatch: number;
  readonly #maxWaitMs: number;

  constructor(
    private readonly processor: SettlementProcessor,
    opts: SettlementBatcherOptions = {},
  ) {
    this.#maxBatch = opts.maxBatch ?? 100;
    this.#maxWaitMs = opts.maxWaitMs ?? 5;
  }

  submit(checkoutId: CheckoutId): Promise<SettlementOutcome> {
    return new Promise<SettlementOutcome>((resolve, reject) => {
      this.#waiting.push({ checkoutId, resolve, reject });
      if (this.#waiting.length >= this.#maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#maxWaitMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#waiting;
    this.#waiting = [];
    if (batch.length === 0) return;
    this.processor.processMany(batch.map((w) => w.checkoutId)).then(
      (results) => {
        for (const w of batch) {
          const result = results.get(w.checkoutId);
          if (result === undefined) w.reject(new Error(`no result for ${w.checkoutId}`));
          else if (result instanceof PipelineRefusedError) w.reject(result);
          else w.resolve(result);
        }
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
