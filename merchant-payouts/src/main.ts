import { parseId, type CheckoutId } from '@coinstile/core';
import {
  bullmqQueueComponent,
  bullmqWorkerComponent,
  createQueue,
  createWorker,
  OutboxRelay,
  PostgresOutboxListener,
  PIPELINE_QUEUES,
  checkoutUpdateChannel,
  type Logger,
  type OutboxEventBatchJob,
  type OutboxEventJob,
  type ServiceRuntime,
} from '@coinstile/platform';
import type { Job, Worker } from 'bullmq';
import { PipelineRefusedError, refusalsAreFinal } from './pipeline-errors';
import { pipelineRoute } from './pipeline-routes';
import { PipelineSweeper } from './pipeline-sweeper';
import { SettlementBatcher } from './settlement-batcher';
import { createReceiptSigner } from './receipts/create-receipt-signer';
import type { ReceiptSigner } from './receipts/receipt-issuer';
import { SettlementProcessor } from './settlement-processor';

export interface StartPayoutsOptions {
  /** Jobs the worker runs at once (and so the largest group commit); default 128. */
  readonly concurrency?: number;
  /** Start an outbox relay in this process (default true; several relays may run at once). */
  readonly relay?: boolean;
  /** Outbox rows per relay transaction; default 500. */
  readonly relayBatchSize?: number;
  /** Idle poll interval of the relay; default 100 ms. */
  readonly relayPollIntervalMs?: number;
  /** How often the sweeper looks for stalled work; default 30 s. */
  readonly sweepIntervalMs?: number;
  /** Work younger than this is left to the queues; default 60 s. */
  readonly sweepGraceMs?: number;
  /** Lock duration of pipeline jobs (a crashed worker's jobs are retried after it); default 30 s. */
  readonly lockDurationMs?: number;
  /** How often workers look for jobs whose worker died; default 30 s. */
  readonly stalledIntervalMs?: number;
}

export interface RunningPayouts {
  readonly relay: OutboxRelay | undefined;
  readonly workers: readonly Worker[];
  readonly processor: SettlementProcessor;
  readonly sweeper: PipelineSweeper;
}

function checkoutIdOf(event: OutboxEventJob): CheckoutId {
  try {
    return parseId('co', event.aggregateId);
  } catch {
    throw new PipelineRefusedError('bad_event', `Event ${event.eventId} does not name a checkout`);
  }
}

/** Checkouts per release transaction of a batch job (its statements stay within the bind-parameter limit). */
const RELEASES_PER_TRANSACTION = 500;

/**
 * After a release transaction commits: its events are published at once (the local relay is woken),
 * then the released orders are announced (store portal inboxes listen).
 */
interface ReleaseCommitted {
  wakeRelay(): void;
  announce(checkoutIds: readonly CheckoutId[]): Promise<void>;
}

async function releaseOne(batcher: SettlementBatcher, job: Job<OutboxEventJob>, committed: ReleaseCommitted): Promise<string> {
  const checkoutId = checkoutIdOf(job.data);
  const outcome = await refusalsAreFinal(() => batcher.submit(checkoutId));
  committed.wakeRelay();
  if (outcome.release === 'released') await committed.announce([checkoutId]);
  return `${outcome.release}/${outcome.payout}`;
}

/**
 * The checkouts of a batch of `checkout.settled` events, released in one transaction. A refused event
 * (not a checkout, not settled) is logged and left out: it can never succeed, and the others must not
 * wait on it. Any other failure throws, and BullMQ runs the whole batch again (each step is idempotent).
 */
async function releaseBatch(processor: SettlementProcessor, events: readonly OutboxEventJob[], logger: Logger, committed: ReleaseCommitted): Promise<string> {
  const ids: CheckoutId[] = [];
  for (const event of events) {
    try {
      ids.push(checkoutIdOf(event));
    } catch (err) {
      logger.error({ err, eventId: event.eventId }, 'release refused');
    }
  }
  let released = 0;
  for (let i = 0; i < ids.length; i += RELEASES_PER_TRANSACTION) {
    const results = await processor.processMany(ids.slice(i, i + RELEASES_PER_TRANSACTION));
    committed.wakeRelay();
    const releasedNow: CheckoutId[] = [];
    for (const [checkoutId, result] of results) {
      if (result instanceof PipelineRefusedError) logger.error({ err: result, checkoutId }, 'release refused');
      else if (result.release === 'released') releasedNow.push(checkoutId);
    }
    released += releasedNow.length;
    await committed.announce(releasedNow);
  }
  return `${released} released of ${events.length}`;
}

/**
 * Starts the settlement pipeline in this process: the outbox relay, the `release-order` worker (release
 * and payout of each settled checkout, group-committed across the jobs running at once, see
 * `SettlementProcessor`) and the sweeper; each is registered with `runtime.lifecycle` (the worker drains
 * its in-flight jobs on shutdown). Run it in any number of processes: the relay claims with SKIP LOCKED,
 * BullMQ spreads the jobs, and unique keys in the database make every step happen once.
 */
export function startPayouts(runtime: ServiceRuntime, opts: StartPayoutsOptions = {}): RunningPayouts {
  const { db, clock, random, logger, lifecycle } = runtime;
  // Every release is signed (the store's offline-verifiable receipt). The signer is opened on first use
  // and kept; a failed opening (the database restarting, say) is forgotten, so the next batch tries again
  // instead of every later release failing on a rejection kept forever.
  let signer: Promise<ReceiptSigner> | undefined;
  const receipts = (): Promise<ReceiptSigner> => {
    signer ??= createReceiptSigner({ db, issuer: runtime.config.publicUrl, clock, random, logger }).catch((err: unknown) => {
      signer = undefined;
      logger.warn({ err }, 'receipt signer unavailable: these releases will be retried');
      throw err;
    });
    return signer;
  };
  const processor = new SettlementProcessor({ db, clock, random, receipts });
  const batcher = new SettlementBatcher(processor, { maxBatch: opts.concurrency ?? 128 });

  let relay: OutboxRelay | undefined;
  if (opts.relay ?? true) {
    relay = new OutboxRelay({
      db,
      connection: runtime.redisConnection('producer', 'outbox-relay'),
      logger: logger.child({ component: 'outbox-relay' }),
      route: pipelineRoute,
      // A block can settle thousands of checkouts at once: one release job per relay batch, released in
      // one transaction, instead of thousands of queue round trips.
      batchedQueues: [PIPELINE_QUEUES.webhookFanout, PIPELINE_QUEUES.releaseOrder],
      // No sweeper backs the fan-out: 18 exponential attempts (1 s doubling) span about three days of outage.
      jobOptionsByQueue: { [PIPELINE_QUEUES.webhookFanout]: { attempts: 18 } },
      registry: runtime.metrics.registry,
      // Rows committed elsewhere (the verifier's settlements, other processes) are published at their
      // commit, not at the next poll. On embedded PGlite the relay polls.
      ...(db.engine === 'postgres' && runtime.config.databaseUrl !== undefined
        ? { notifications: new PostgresOutboxListener(runtime.config.databaseUrl, logger.child({ component: 'outbox-listener' })) }
        : {}),
      ...(opts.relayBatchSize === undefined ? {} : { batchSize: opts.relayBatchSize }),
      ...(opts.relayPollIntervalMs === undefined ? {} : { pollIntervalMs: opts.relayPollIntervalMs }),
    });
    relay.start();
    const started = relay;
    lifecycle.register({ name: 'outbox-relay', stop: () => started.stop() });
  }

  const workerOptions = {
    logger,
    concurrency: opts.concurrency ?? 128,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    // Processors are idempotent, so a job whose workers keep dying is simply run again.
    maxStalledCount: 10,
  };
  const committed: ReleaseCommitted = {
    // Its events were just committed: the local relay publishes them now rather than at its next poll.
    wakeRelay: () => relay?.wake(),
    // A hint to open store-portal inboxes (they also re-read on a timer): never fails the release. One
    // pipeline for a whole batch, not a round trip per order.
    announce: async (checkoutIds) => {
      if (checkoutIds.length === 0) return;
      const pipeline = runtime.redis.pipeline();
      for (const id of checkoutIds) pipeline.publish(checkoutUpdateChannel(id), '');
      await pipeline.exec().catch((err: unknown) => logger.debug({ err }, 'release announcements not sent'));
    },
  };
  const releaseWorker = createWorker<OutboxEventBatchJob | OutboxEventJob, string>(
    PIPELINE_QUEUES.releaseOrder,
    async (job) => {
      // Jobs of one event come from relays before batching (and the dashboard's retries of them).
      return 'events' in job.data ? releaseBatch(processor, job.data.events, logger, committed) : releaseOne(batcher, job as Job<OutboxEventJob>, committed);
    },
    runtime.redisConnection('worker', 'release-order'),
    workerOptions,
  );
  lifecycle.register(bullmqWorkerComponent(releaseWorker));

  const backlogQueue = createQueue(PIPELINE_QUEUES.releaseOrder, runtime.redisConnection('producer', 'pipeline-sweeper'), { logger });
  lifecycle.register(bullmqQueueComponent(backlogQueue));
  const sweeper = new PipelineSweeper({
    db,
    queueBacklog: async () => {
      const counts = await backlogQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    processor,
    logger: logger.child({ component: 'pipeline-sweeper' }),
    ...(opts.sweepGraceMs === undefined ? {} : { graceMs: opts.sweepGraceMs }),
  });
  let sweeping: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweeper.sweep(clock.now()).catch((err: unknown) => logger.warn({ err }, 'pipeline sweep failed'));
  }, opts.sweepIntervalMs ?? 30_000);
  lifecycle.register({
    name: 'pipeline-sweeper',
    stop: async () => {
      clearInterval(timer);
      await sweeping;
    },
  });

  return { relay, workers: [releaseWorker], processor, sweeper };
}
