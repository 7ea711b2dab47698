import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { sql } from 'kysely';
import type { Database } from '../db/database';
import type { JsonValue } from '../db/json';
import { OutboxRepository, type OutboxEntry } from '../db/outbox-repository';
import { createQueue } from '../redis/queue-factory';
import { jobIdForEvent } from './job-id';
import type { OutboxNotifications } from './outbox-listener';

/** What a queue receives for one outbox event (the job's name is the event type). */
export interface OutboxEventJob {
  readonly eventId: string;
  readonly eventType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** The outbox position, a decimal string: consumers that need event order sort on it. */
  readonly sequence: string;
  readonly payload: JsonValue;
  /** ISO-8601: when the event was written. */
  readonly createdAt: string;
}

/**
 * A job of a batched queue: every event of one relay batch routed to that queue, in outbox order. Its
 * job id is `batch-<first sequence>-<last sequence>-<count>`, so re-publishing the same rows is a no-op;
 * a re-publish that groups them differently repeats events, which such consumers deduplicate anyway.
 */
export interface OutboxEventBatchJob {
  readonly events: readonly OutboxEventJob[];
}

/** The job data a queue receives for a stored outbox row. */
export function outboxEventJob(entry: OutboxEntry): OutboxEventJob {
  return {
    eventId: entry.eventId,
    eventType: entry.eventType,
    aggregateType: entry.aggregateType,
    aggregateId: entry.aggregateId,
    sequence: entry.sequence.toString(),
    payload: entry.payload,
    createdAt: entry.createdAt.toISOString(),
  };
}

/** The queues an event goes to (none: it is only marked published). */
export type OutboxRouter = (entry: OutboxEntry) => readonly string[];

export interface OutboxRelayOptions {
  readonly db: Database;
  /** A producer connection (`createRedisConnection(url, 'producer')`): publishing fails fast while Redis is down. */
  readonly connection: Redis;
  readonly logger: Logger;
  readonly route: OutboxRouter;
  /** Rows claimed per transaction, 1..5000; default 500. */
  readonly batchSize?: number;
  /** How long an idle relay waits before looking again (a `wake()` cuts it short); default 100 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Steps in flight at once, 1..8; default 2. While a backlog drains, one step's Redis round trip and
   * commit overlap the next one's claim (SKIP LOCKED keeps their rows apart).
   */
  readonly concurrency?: number;
  /** Commits of outbox rows in any process (`PostgresOutboxListener`): each wakes the relay at once. */
  readonly notifications?: OutboxNotifications;
  /** Ceiling of the back-off after a failed batch (Redis or Postgres down); default 5 s. */
  readonly maxErrorBackoffMs?: number;
  /** Where the relay's metrics go (the process registry); none when absent. */
  readonly registry?: Registry;
  /** Options of every published job, merged over the queue defaults. */
  readonly jobOptions?: JobsOptions;
  /** Per-queue options, merged over `jobOptions` (e.g. more attempts where no sweeper backs a queue up). */
  readonly jobOptionsByQueue?: Readonly<Record<string, JobsOptions>>;
  /**
   * Queues that get one `OutboxEventBatchJob` per relay batch instead of one job per event: for cheap,
   * idempotent consumers (the webhook fan-out) whose per-event work costs less than a queue round trip.
   */
  readonly batchedQueues?: readonly string[];
}

interface RelayMetrics {
  readonly published: Counter<'queue'>;
  readonly lag: Histogram;
}

const MAX_BATCH = 5_000;

/**
 * Moves unpublished outbox rows to BullMQ. Each step claims a bounded batch with `FOR UPDATE SKIP
 * LOCKED` (so any number of relays, in any number of processes, share the work without publishing a row
 * concurrently), adds one job per (event, queue) with the event id as job id (a re-publish after a crash
 * between `addBulk` and the commit is a no-op), and marks the rows published in the same transaction.
 * Delivery is at-least-once; consumers deduplicate in the database.
 *
 * `concurrency` loops drain without pausing while batches come back full, then poll every
 * `pollIntervalMs`; `wake()` (called by in-process writers after a commit, and on each notification of
 * `notifications`: commits in other processes) starts the next step at once.
 * Batches published at the same time may reach a queue in either order (as jobs of one queue may run
 * concurrently anyway): consumers that need event order use the outbox `sequence`.
 */
export class OutboxRelay {
  readonly #outbox: OutboxRepository;
  readonly #queues = new Map<string, Queue>();
  readonly #batched: ReadonlySet<string>;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #concurrency: number;
  readonly #maxErrorBackoffMs: number;
  readonly #metrics: RelayMetrics | undefined;
  #running = false;
  #loops: Promise<void>[] = [];
  /** Loops sleeping, each woken by its callback. */
  readonly #sleepers = new Set<() => void>();
  /** Bumped by `wake()`: a loop that saw it change during its step looks again instead of sleeping. */
  #wakeups = 0;

  constructor(private readonly opts: OutboxRelayOptions) {
    const batchSize = opts.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
      throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH}, got ${batchSize}`);
    }
    this.#batchSize = batchSize;
    this.#pollIntervalMs = opts.pollIntervalMs ?? 100;
    const concurrency = opts.concurrency ?? 2;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 8) throw new RangeError(`concurrency must be an integer from 1 to 8, got ${concurrency}`);
    this.#concurrency = concurrency;
    this.#maxErrorBackoffMs = opts.maxErrorBackoffMs ?? 5_000;
    this.#outbox = new OutboxRepository(opts.db);
    this.#batched = new Set(opts.batchedQueues ?? []);
    this.#metrics = opts.registry ? relayMetrics(opts.registry, opts.db) : undefined;
  }

  get isRunning(): boolean {
    return this.#running;
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loops = Array.from({ length: this.#concurrency }, () => this.#run());
    this.opts.notifications?.start(() => this.wake());
  }

  /** Looks for new rows now instead of at the next poll. */
  wake(): void {
    this.#wakeups += 1;
    for (const wakeUp of [...this.#sleepers]) wakeUp();
  }

  /** Finishes the batch in progress, stops the loop and closes the relay's queues. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.opts.notifications?.stop();
    this.wake();
    await Promise.all(this.#loops);
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
  }

  /** One step: publishes up to `batchSize` rows and returns how many (0 when the outbox is drained). */
  async relayOnce(): Promise<number> {
    const startedAt = Date.now();
    const count = await this.#outbox.relayBatch(this.#batchSize, (entries) => this.#publish(entries));
    if (count > 0) this.opts.logger.debug({ count, ms: Date.now() - startedAt }, 'outbox batch published');
    return count;
  }

  async #publish(entries: readonly OutboxEntry[]): Promise<void> {
    const perEvent = new Map<string, { name: string; data: OutboxEventJob; opts: JobsOptions }[]>();
    const batches = new Map<string, { events: OutboxEventJob[]; first: bigint; last: bigint }>();
    for (const entry of entries) {
      const data = outboxEventJob(entry);
      for (const queueName of this.opts.route(entry)) {
        if (this.#batched.has(queueName)) {
          const batch = batches.get(queueName);
          if (batch) {
            batch.events.push(data);
            batch.last = entry.sequence;
          } else {
            batches.set(queueName, { events: [data], first: entry.sequence, last: entry.sequence });
          }
          continue;
        }
        let jobs = perEvent.get(queueName);
        if (!jobs) perEvent.set(queueName, (jobs = []));
        jobs.push({ name: entry.eventType, data, opts: { ...this.#jobOptions(queueName), jobId: jobIdForEvent(entry.eventId) } });
      }
    }
    await Promise.all([
      ...[...perEvent].map(([queueName, jobs]) => this.#queue(queueName).addBulk(jobs)),
      ...[...batches].map(([queueName, batch]) =>
        this.#queue(queueName).add('batch', { events: batch.events } satisfies OutboxEventBatchJob, {
          ...this.#jobOptions(queueName),
          jobId: `batch-${batch.first}-${batch.last}-${batch.events.length}`,
        }),
      ),
    ]);
    if (this.#metrics) {
      const now = Date.now();
      for (const [queueName, jobs] of perEvent) this.#metrics.published.inc({ queue: queueName }, jobs.length);
      for (const queueName of batches.keys()) this.#metrics.published.inc({ queue: queueName }, 1);
      for (const entry of entries) this.#metrics.lag.observe((now - entry.createdAt.getTime()) / 1000);
    }
  }

  #jobOptions(queueName: string): JobsOptions {
    return { ...this.opts.jobOptions, ...this.opts.jobOptionsByQueue?.[queueName] };
  }

  #queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = createQueue(name, this.opts.connection, { logger: this.opts.logger });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      let published = 0;
      const wakeups = this.#wakeups;
      try {
        published = await this.relayOnce();
        failures = 0;
      } catch (err) {
        failures += 1;
        // One line per failure streak start, then every tenth: an outage must not flood the log.
        if (failures === 1 || failures % 10 === 0) this.opts.logger.warn({ err, failures }, 'outbox relay step failed; retrying');
        await this.#sleep(Math.min(this.#maxErrorBackoffMs, 100 * 2 ** Math.min(failures, 10)), false);
        continue;
      }
      if (published < this.#batchSize && wakeups === this.#wakeups) await this.#sleep(this.#pollIntervalMs, true);
    }
  }

  /** Waits `ms`; `stop()` always ends the wait early, `wake()` only when `wakeable` (not during an error back-off). */
  #sleep(ms: number, wakeable: boolean): Promise<void> {
    let wakeUp: (() => void) | undefined;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        if (wakeable || !this.#running) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.#sleepers.add(wakeUp);
    }).finally(() => {
      if (wakeUp) this.#sleepers.delete(wakeUp);
    });
  }
}

/**
 * `outbox_unpublished_events` and `outbox_oldest_unpublished_age_seconds` are read from the database at
 * scrape time (the truth across every relay); publish counts and the created→published lag are counted
 * by this process. Registered once per registry, so several relays in one process share them.
 */
function relayMetrics(registry: Registry, db: Database): RelayMetrics {
  const existing = registry.getSingleMetric('outbox_published_jobs_total') as Counter<'queue'> | undefined;
  if (existing) {
    return { published: existing, lag: registry.getSingleMetric('outbox_publish_lag_seconds') as Histogram };
  }
  const snapshot = async (): Promise<{ count: number; oldestAgeSeconds: number }> => {
    const result = await sql<{ n: string; oldest: Date | null }>`
      select count(*) as n, min(created_at) as oldest from outbox where published_at is null`.execute(db.kysely);
    const row = result.rows[0];
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : null;
    return { count: Number(row?.n ?? 0), oldestAgeSeconds: oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000) };
  };
  new Gauge({
    name: 'outbox_unpublished_events',
    help: 'Outbox rows not yet published to the queues',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).count);
    },
  });
  new Gauge({
    name: 'outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest unpublished outbox row (0 when none)',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).oldestAgeSeconds);
    },
  });
  return {
    published: new Counter({
      name: 'outbox_published_jobs_total',
      help: 'Jobs added to the queues by the outbox relay, by queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    lag: new Histogram({
      name: 'outbox_publish_lag_seconds',
      help: 'Time from an outbox row being written to its publication',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}
