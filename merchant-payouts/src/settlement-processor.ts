import type { CheckoutId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import type { OrderReleaser, ReleaseOutcome } from './order-releaser';
import type { PayoutScheduler, ScheduleOutcome } from './payout-scheduler';

export interface SettlementOutcome {
  readonly release: ReleaseOutcome;
  readonly payout: ScheduleOutcome;
}

/**
 * The `release-order` job: a settled checkout's release (order_releases row, settlement posting,
 * `order.released`) and its payout (payouts row, `payout.scheduled` / `payout.reserved`) in one
 * transaction. Each step is guarded by its own unique key, so a job that runs again, or runs after the
 * sweeper, changes nothing; one transaction instead of a second queue hop halves the commits and Redis
 * round trips per settlement, and no checkout can be left released without its payout.
 */
export class SettlementProcessor {
  constructor(
    private readonly db: Database,
    private readonly releaser: OrderReleaser,
    private readonly scheduler: PayoutScheduler,
  ) {}

  process(checkoutId: CheckoutId): Promise<SettlementOutcome> {
    return this.db.transaction(async (trx) => {
      const release = await this.releaser.release(checkoutId, trx);
      const payout = await this.scheduler.schedule(checkoutId, trx);
      return { release, payout };
    });
  }
}
