import { instanceSecret, type ServiceRuntime } from '@coinstile/platform';
import { EscrowLinkSigner } from './escrow-links';
import { EscrowService } from './escrow-service';

/** The installation secret the shopper's escrow and refund links are signed with (every replica shares it). */
export const ESCROW_LINK_SECRET = 'escrow-link-signing';

/** The link signer of this installation: its secret is created by the first process that asks. */
export async function createEscrowLinkSigner(runtime: Pick<ServiceRuntime, 'db' | 'random' | 'clock' | 'config'>): Promise<EscrowLinkSigner> {
  return new EscrowLinkSigner(await instanceSecret(runtime.db, ESCROW_LINK_SECRET, runtime.random), runtime.config.publicUrl, runtime.clock);
}

export interface EscrowSweeperOptions {
  /** How often holds are opened for new reserved payouts and overdue deliveries accepted; default 5 s. */
  readonly intervalMs?: number;
}

export interface RunningEscrowSweeper {
  /** One pass now (tests): holds opened, deliveries auto-accepted. */
  sweep(): Promise<{ opened: number; accepted: number }>;
}

/**
 * The escrow worker, a polling sweeper like the pipeline's: every `intervalMs` it opens a hold (and sends
 * the shopper's link in `escrow.held`) for each payout the settlement pipeline reserved, and accepts every
 * delivered order whose acceptance deadline passed with no dispute, by the runtime's clock. Both steps are
 * idempotent transactions, so any number of workers may run it. Stopped by the runtime's lifecycle.
 */
export function startEscrowSweeper(runtime: ServiceRuntime, opts: EscrowSweeperOptions = {}): RunningEscrowSweeper {
  const logger = runtime.logger.child({ component: 'escrow-sweeper' });
  let service: EscrowService | undefined;
  const serviceOf = async (): Promise<EscrowService> => {
    service ??= new EscrowService({ db: runtime.db, clock: runtime.clock, random: runtime.random, links: await createEscrowLinkSigner(runtime) });
    return service;
  };
  const sweep = async (): Promise<{ opened: number; accepted: number }> => {
    const escrow = await serviceOf();
    const opened = await escrow.openPendingHolds();
    const accepted = await escrow.acceptOverdue();
    if (accepted > 0) logger.info({ accepted }, 'escrow: deliveries accepted after their deadline');
    return { opened, accepted };
  };
  let sweeping: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    sweeping = sweep()
      .catch((err: unknown) => logger.warn({ err }, 'escrow sweep failed'))
      .finally(() => {
        busy = false;
      });
  }, opts.intervalMs ?? 5_000);
  runtime.lifecycle.register({
    name: 'escrow-sweeper',
    stop: async () => {
      clearInterval(timer);
      await sweeping;
    },
  });
  return { sweep };
}
