import type { PayoutProvider } from '@coinstile/core';
import type { ServiceRuntime } from '@coinstile/platform';
import { PayoutBatcher, type PayoutBatcherOptions, type PayoutRoute } from './payout-batcher';
import { PayoutOperator } from './payout-operator';

export interface StartPayoutBatchingOptions extends Partial<Omit<PayoutBatcherOptions, 'db' | 'clock' | 'random' | 'providers' | 'route'>> {
  readonly providers: readonly PayoutProvider[];
  readonly route?: PayoutRoute;
  /** Pause between rounds; default 5 s. */
  readonly intervalMs?: number;
}

export interface RunningPayoutBatching {
  readonly batcher: PayoutBatcher;
  readonly operator: PayoutOperator;
  /** Runs a round now (rounds never overlap within a process). */
  runNow(): Promise<void>;
}

/**
 * Runs the batcher in this process every `intervalMs` (batch what is due, submit, poll) and stops it
 * with `runtime.lifecycle`. Any number of processes may run it: claims and leases are database
 * compare-and-sets.
 */
export function startPayoutBatching(runtime: ServiceRuntime, opts: StartPayoutBatchingOptions): RunningPayoutBatching {
  const { db, clock, random, logger, lifecycle } = runtime;
  const batcher = new PayoutBatcher({ ...opts, db, clock, random });
  const operator = new PayoutOperator({ db, clock, random });
  const log = logger.child({ component: 'payout-batcher' });
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const round = (): Promise<void> => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const { batches, submitted, polled } = await batcher.runOnce();
        if (batches > 0 || submitted.length > 0 || polled > 0) log.info({ batches, submitted, polled }, 'payout round');
      } catch (err) {
        log.warn({ err }, 'payout round failed');
      }
    });
    return running;
  };
  const timer = setInterval(() => void round(), opts.intervalMs ?? 5000);
  lifecycle.register({
    name: 'payout-batcher',
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  });
  return { batcher, operator, runNow: round };
}
