import type { CheckoutId, Clock } from '@coinstile/core';
import type { Database, LifecycleComponent, Logger } from '@coinstile/platform';
import { backoffDelayMs, sleep } from '../follower/backoff';
import type { CheckoutEvaluator } from '../payments/checkout-evaluator';

export interface ExpirySweeperOptions {
  /** Pause between sweeps. Default 5 s. */
  readonly intervalMs?: number;
  /** Checkouts evaluated per query. Default 500. */
  readonly batchSize?: number;
}

/**
 * Evaluates checkouts whose deadline passed with nothing new on chain to trigger it: `new` past
 * `expiresAt` (→ `expired`) and `processing` past `monitoringUntil` (→ `invalid`). Chain-agnostic and safe
 * with any number of instances: each write is a compare-and-set, a lost race is simply re-evaluated.
 */
export class ExpirySweeper implements LifecycleComponent {
  readonly name = 'expiry-sweeper';
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly evaluator: CheckoutEvaluator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: ExpirySweeperOptions = {},
  ) {}

  /** One sweep: every overdue checkout, in batches; returns how many changed. */
  async sweepOnce(): Promise<number> {
    let written = 0;
    const seen = new Set<CheckoutId>();
    for (;;) {
      const now = this.clock.now();
      const rows = await this.db.kysely
        .selectFrom('checkouts')
        .select('id')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'new'), eb('expires_at', '<=', now)]),
            eb.and([eb('status', '=', 'processing'), eb('monitoring_until', '<=', now)]),
          ]),
        )
        .orderBy('expires_at')
        .limit(this.options.batchSize ?? 500)
        .execute();
      // A checkout evaluate leaves unchanged would come back every batch: stop at the first repeat.
      const ids = rows.map((r) => r.id as CheckoutId).filter((id) => !seen.has(id));
      if (ids.length === 0) return written;
      for (const id of ids) seen.add(id);
      written += await this.evaluator.evaluateAll(ids, 4);
    }
  }

  start(): void {
    this.#loop ??= (async () => {
      const signal = this.#abort.signal;
      let failures = 0;
      while (!signal.aborted) {
        try {
          const written = await this.sweepOnce();
          if (written > 0) this.logger.info({ written }, 'expiry sweep');
          failures = 0;
          await sleep(this.options.intervalMs ?? 5_000, signal);
        } catch (err) {
          failures++;
          const delay = backoffDelayMs(failures, 500, 30_000);
          this.logger.warn({ err, failures, retryInMs: delay }, 'expiry sweep failed');
          await sleep(delay, signal);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }
}
