import type { Clock } from '@coinstile/core';
import type { Database } from '@coinstile/platform';
import type { Queue } from 'bullmq';
import { sql } from 'kysely';
import { dashboardKysely } from './dashboard-schema';

/** A stage of the settlement pipeline an item can wait in. */
export type StageKey =
  | 'checkouts_processing'
  | 'checkouts_settled_unreleased'
  | 'payouts_reserved'
  | 'payouts_scheduled'
  | 'payouts_sent'
  | 'payouts_failed'
  | 'webhooks_pending'
  | 'webhooks_failing';

/** How many items wait in a stage and how long the oldest has waited (null when none waits). */
export interface StageCount {
  readonly stage: StageKey;
  readonly count: number;
  readonly oldestAgeMs: number | null;
}

/** A BullMQ queue's job counts, and the age of its oldest waiting job. */
export interface QueueCount {
  readonly queue: string;
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
  readonly oldestWaitingAgeMs: number | null;
}

/** A job that ran out of attempts, as the operator sees it. */
export interface FailedJobView {
  readonly queue: string;
  readonly jobId: string;
  readonly name: string;
  readonly failedReason: string;
  readonly attemptsMade: number;
  readonly failedAtMs: number | null;
  /** What the job is about (the outbox event's aggregate, when it carries one). */
  readonly subject: string | null;
}

export interface SettlementQueueSnapshot {
  readonly stages: readonly StageCount[];
  readonly queues: readonly QueueCount[];
  readonly failedJobs: readonly FailedJobView[];
  readonly takenAtMs: number;
}

/** Failed jobs listed per queue (the rest are in bull-board). */
export const FAILED_JOBS_PER_QUEUE = 50;

function ageOf(nowMs: number, oldest: Date | string | null | undefined): number | null {
  if (oldest === null || oldest === undefined) return null;
  return Math.max(0, nowMs - new Date(oldest).getTime());
}

/**
 * Reads every stage of the pipeline at once: checkouts waiting for confirmations (aged from the first
 * payment seen), settled checkouts not yet released, payouts per status (aged from their last move),
 * webhook deliveries pending or retrying after failures, the BullMQ queues' counts and their failed jobs.
 */
export class SettlementQueueReader {
  constructor(
    private readonly db: Database,
    private readonly queues: readonly Queue[],
    private readonly clock: Clock,
  ) {}

  async snapshot(): Promise<SettlementQueueSnapshot> {
    const nowMs = this.clock.now().getTime();
    const [stages, queues, failedJobs] = await Promise.all([this.stages(nowMs), this.queueCounts(nowMs), this.failedJobs()]);
    return { stages, queues, failedJobs, takenAtMs: nowMs };
  }

  async stages(nowMs: number): Promise<StageCount[]> {
    const db = dashboardKysely(this.db);
    const processing = db
      .selectFrom('checkouts as c')
      .leftJoin('payments as p', 'p.checkout_id', 'c.id')
      .where('c.status', '=', 'processing')
      .select([sql<string>`count(DISTINCT c.id)`.as('count'), sql<Date | null>`min(coalesce(p.first_seen_at, c.created_at))`.as('oldest')])
      .executeTakeFirstOrThrow();
    const unreleased = db
      .selectFrom('checkouts as c')
      .where('c.status', '=', 'settled')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('order_releases as r').select('r.checkout_id').whereRef('r.checkout_id', '=', 'c.id'))))
      .select([sql<string>`count(*)`.as('count'), sql<Date | null>`min(c.settled_at)`.as('oldest')])
      .executeTakeFirstOrThrow();
    const payouts = db
      .selectFrom('payouts')
      .where('status', 'in', ['reserved', 'scheduled', 'sent', 'failed'])
      .groupBy('status')
      .select(['status', sql<string>`count(*)`.as('count'), sql<Date | null>`min(updated_at)`.as('oldest')])
      .execute();
    const webhooks = db
      .selectFrom('webhook_deliveries')
      .where('status', '=', 'pending')
      .select([
        sql<string>`count(*) FILTER (WHERE attempts = 0)`.as('fresh'),
        sql<Date | null>`min(created_at) FILTER (WHERE attempts = 0)`.as('fresh_oldest'),
        sql<string>`count(*) FILTER (WHERE attempts > 0)`.as('failing'),
        sql<Date | null>`min(created_at) FILTER (WHERE attempts > 0)`.as('failing_oldest'),
      ])
      .executeTakeFirstOrThrow();
    const [p, u, po, w] = await Promise.all([processing, unreleased, payouts, webhooks]);
    const payoutStage = (status: 'reserved' | 'scheduled' | 'sent' | 'failed', stage: StageKey): StageCount => {
      const row = po.find((r) => r.status === status);
      return { stage, count: Number(row?.count ?? 0), oldestAgeMs: ageOf(nowMs, row?.oldest) };
    };
    return [
      { stage: 'checkouts_processing', count: Number(p.count), oldestAgeMs: ageOf(nowMs, p.oldest) },
      { stage: 'checkouts_settled_unreleased', count: Number(u.count), oldestAgeMs: ageOf(nowMs, u.oldest) },
      payoutStage('reserved', 'payouts_reserved'),
      payoutStage('scheduled', 'payouts_scheduled'),
      payoutStage('sent', 'payouts_sent'),
      payoutStage('failed', 'payouts_failed'),
      { stage: 'webhooks_pending', count: Number(w.fresh), oldestAgeMs: ageOf(nowMs, w.fresh_oldest) },
      { stage: 'webhooks_failing', count: Number(w.failing), oldestAgeMs: ageOf(nowMs, w.failing_oldest) },
    ];
  }

  async queueCounts(nowMs: number): Promise<QueueCount[]> {
    return Promise.all(
      this.queues.map(async (queue) => {
        const [counts, oldest] = await Promise.all([
          queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized'),
          // Ascending: the job that has waited longest comes first.
          queue.getJobs(['wait', 'prioritized'], 0, 0, true),
        ]);
        const first = oldest[0];
        return {
          queue: queue.name,
          waiting: (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0),
          active: counts['active'] ?? 0,
          delayed: counts['delayed'] ?? 0,
          failed: counts['failed'] ?? 0,
          oldestWaitingAgeMs: first ? Math.max(0, nowMs - first.timestamp) : null,
        };
      }),
    );
  }

  async failedJobs(): Promise<FailedJobView[]> {
    const perQueue = await Promise.all(
      this.queues.map(async (queue) => {
        const jobs = await queue.getFailed(0, FAILED_JOBS_PER_QUEUE - 1);
        return jobs
          .filter((job) => job !== undefined && job !== null && job.id !== undefined)
          .map((job): FailedJobView => {
            const data = job.data as { aggregateId?: unknown; eventType?: unknown } | null;
            const subject = data && typeof data.aggregateId === 'string' ? `${String(data.eventType ?? '')} ${data.aggregateId}`.trim() : null;
            return {
              queue: queue.name,
              jobId: String(job.id),
              name: job.name,
              failedReason: job.failedReason ?? '',
              attemptsMade: job.attemptsMade,
              failedAtMs: job.finishedOn ?? null,
              subject,
            };
          });
      }),
    );
    return perQueue.flat().sort((a, b) => (b.failedAtMs ?? 0) - (a.failedAtMs ?? 0));
  }
}
