import type { Clock } from '@coinstile/core';
import { type CheckoutTenderRepository, type Database, expireDueVouchers, type LifecycleComponent } from '@coinstile/platform';

export interface TenderReleaseSweeperOptions {
  readonly tenders: CheckoutTenderRepository;
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: { error(obj: object, msg?: string): void };
  /** Between sweeps; default 5 s. */
  readonly intervalMs?: number;
}

/**
 * Every few seconds: gives the held tenders of expired, cancelled and invalid checkouts back to their
 * vouchers and balances (cancelling releases at once; expiry is decided by the verifier, which knows nothing
 * of tenders), then marks vouchers past their expiry `expired` and writes off their balances. Safe on every
 * replica: rows another sweeper holds are skipped. Stops with the lifecycle.
 */
export function startTenderReleaseSweeper(options: TenderReleaseSweeperOptions): LifecycleComponent {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = async (): Promise<void> => {
    try {
      while (!stopped && (await options.tenders.releaseAbandoned(options.clock.now())).length === 100);
      while (!stopped && (await expireDueVouchers(options.db, options.clock.now())) === 500);
    } catch (err) {
      options.logger.error({ err }, 'releasing abandoned tenders failed; retried on the next sweep');
    }
  };
  const timer = setInterval(() => {
    running = running.then(sweep);
  }, options.intervalMs ?? 5_000);
  timer.unref();
  return {
    name: 'tender-release-sweeper',
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
