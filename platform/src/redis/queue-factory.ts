import { type DefaultJobOptions, Queue, Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Every BullMQ key starts with this prefix. The braces are a Redis Cluster hash tag: all of a queue's
 * keys land in one slot, which BullMQ's multi-key Lua scripts require on a cluster.
 */
export const QUEUE_PREFIX = '{coinstile}';

/**
 * Retries with exponential backoff (1 s, 2 s, … 128 s over 8 attempts) ride out a dependency restart.
 * Completed jobs are kept a day (the window in which re-adding the same job id is a no-op) and failed
 * ones a week for inspection, each bounded in count so Redis memory stays bounded.
 */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 100_000 },
} as const satisfies DefaultJobOptions;

export interface CreateQueueOptions {
  /** Queue errors (connection loss) are logged here. */
  readonly logger: Logger;
  /** Merged over `DEFAULT_JOB_OPTIONS`. */
  readonly defaultJobOptions?: DefaultJobOptions;
}

/** A producer-side queue on a connection from `createRedisConnection(url, 'producer')`. */
export function createQueue<Data = unknown, Result = unknown>(
  name: string,
  connection: Redis,
  opts: CreateQueueOptions,
): Queue<Data, Result> {
  const queue = new Queue<Data, Result>(name, {
    connection,
    prefix: QUEUE_PREFIX,
    defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, ...opts.defaultJobOptions },
  });
  queue.on('error', (err: Error) => opts.logger.warn({ queue: name, err }, 'queue error'));
  return queue;
}

export interface CreateWorkerOptions
  extends Partial<Pick<WorkerOptions, 'concurrency' | 'lockDuration' | 'stalledInterval' | 'maxStalledCount' | 'limiter' | 'autorun' | 'name'>> {
  /** Worker errors and failed jobs are logged here. */
  readonly logger: Logger;
}

/**
 * A worker on a connection from `createRedisConnection(url, 'worker')` (BullMQ refuses a connection whose
 * `maxRetriesPerRequest` is not null). Processors must be idempotent: after a crash or a Redis restart
 * a job can run again (at-least-once delivery).
 */
export function createWorker<Data = unknown, Result = unknown>(
  name: string,
  processor: Processor<Data, Result>,
  connection: Redis,
  opts: CreateWorkerOptions,
): Worker<Data, Result> {
  const { logger, ...workerOpts } = opts;
  const worker = new Worker<Data, Result>(name, processor, {
    concurrency: 1,
    ...workerOpts,
    connection,
    prefix: QUEUE_PREFIX,
    removeOnComplete: DEFAULT_JOB_OPTIONS.removeOnComplete,
    removeOnFail: DEFAULT_JOB_OPTIONS.removeOnFail,
  });
  worker.on('error', (err: Error) => logger.warn({ queue: name, err }, 'worker error'));
  worker.on('failed', (job, err) =>
    logger.warn({ queue: name, jobId: job?.id, attemptsMade: job?.attemptsMade, err }, 'job failed'),
  );
  return worker;
}
