import type { CheckoutId } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import type { Logger } from 'pino';
import type { SettlementProcessor } from './settlement-processor';
import { pipelineKysely } from './pipeline-schema';

export interface PipelineSweeperOptions {
  readonly db: Database;
  readonly processor: SettlementProcessor;
  readonly logger: Logger;
  /** Only work older than this is swept (younger work is still in the queues); default 60 s. */
  readonly graceMs?: number;
  /** Per sweep and stage; default 500. */
  readonly batchSize?: number;
  /**
   * Jobs waiting, running or in retry back-off in the `release-order` queue. While there are any the
   * sweep is skipped: the queue is making progress, and sweeping its backlog would only race the
   * workers for the same rows. Absent: always sweep.
   */
  readonly queueBacklog?: () => Promise<number>;
}

/** How far back the sweeper looks: older stragglers are the operator's (the dashboard lists them). */
const SWEEP_WINDOW_MS = 7 * 24 * 3600_000;

/**
 * The backstop behind the queues: settled checkouts with no release, and releases with no payout, that
 * are older than `graceMs` are processed directly (the same idempotent steps the workers run). It covers
 * jobs that exhausted their retries during a long outage and jobs lost with a Redis that had no AOF.
 */
export class PipelineSweeper {
  constructor(private readonly opts: PipelineSweeperOptions) {}

  /** One sweep: how many checkouts it released (each with its payout) and how many released checkouts it gave a missing payout. */
  async sweep(now: Date = new Date()): Promise<{ released: number; scheduled: number }> {
    // Redis unreachable: the queue cannot make progress, so the sweeper does the work.
    const backlog = this.opts.queueBacklog ? await this.opts.queueBacklog().catch(() => 0) : 0;
    if (backlog > 0) return { released: 0, scheduled: 0 };
    const db = pipelineKysely(this.opts.db);
    const before = new Date(now.getTime() - (this.opts.graceMs ?? 60_000));
    const limit = this.opts.batchSize ?? 500;
    const unreleased = await db
      .selectFrom('checkouts')
      .select('checkouts.id')
      .where('checkouts.status', '=', 'settled')
      .where('checkouts.settled_at', '<', before)
      .where('checkouts.settled_at', '>', new Date(now.getTime() - SWEEP_WINDOW_MS))
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('order_releases').select('order_releases.checkout_id').whereRef('order_releases.checkout_id', '=', 'checkouts.id'))),
      )
      .limit(limit)
      .execute();
    const releasedNow = await this.opts.processor.processMany(unreleased.map((r) => r.id as CheckoutId));
    const released = [...releasedNow.values()].filter((r) => !(r instanceof Error) && r.release === 'released').length;
    const unscheduled = await db
      .selectFrom('order_releases')
      .select('order_releases.checkout_id')
      .where('order_releases.released_at', '<', before)
      .where('order_releases.released_at', '>', new Date(now.getTime() - SWEEP_WINDOW_MS))
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('payouts').select('payouts.id').whereRef('payouts.checkout_id', '=', 'order_releases.checkout_id'))),
      )
      .limit(limit)
      .execute();
    const scheduledNow = await this.opts.processor.processMany(unscheduled.map((r) => r.checkout_id as CheckoutId));
    const scheduled = [...scheduledNow.values()].filter((r) => !(r instanceof Error) && r.payout !== 'already_scheduled').length;
    if (released + scheduled > 0) this.opts.logger.warn({ released, scheduled }, 'pipeline sweeper completed stalled work');
    return { released, scheduled };
  }
}
