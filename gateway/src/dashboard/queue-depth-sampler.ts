import type { Clock } from '@coinstile/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DAY_MS } from './chart-data';

/** One sample: per queue, jobs waiting (incl. delayed) and active at `atMs`. */
export interface QueueDepthSample {
  readonly atMs: number;
  readonly depths: Readonly<Record<string, { readonly waiting: number; readonly active: number }>>;
}

const SAMPLES_KEY = 'coinstile:dashboard:queue-depth';
const SLOT_KEY_PREFIX = 'coinstile:dashboard:queue-depth-slot:';

export interface QueueDepthSamplerOptions {
  readonly redis: Redis;
  readonly queues: readonly Queue[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default 10 s. */
  readonly intervalMs?: number;
  /** How long samples are kept; default 24 h. */
  readonly retentionMs?: number;
}

/**
 * Samples the depth of the pipeline queues into a Redis sorted set (scored by time, trimmed to the
 * retention) for the queue-depth chart. Every gateway replica runs one; a per-interval `SET NX` slot
 * makes only one of them write each sample.
 */
export class QueueDepthSampler {
  readonly intervalMs: number;
  readonly retentionMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(private readonly opts: QueueDepthSamplerOptions) {
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.retentionMs = opts.retentionMs ?? DAY_MS;
  }

  start(): void {
    if (this.#timer) return;
    const tick = () => {
      this.#running = this.sampleOnce().then(
        () => undefined,
        (err: unknown) => this.opts.logger.warn({ err }, 'queue depth sample failed'),
      );
    };
    tick();
    this.#timer = setInterval(tick, this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Takes and stores one sample unless another replica already took this interval's; true if stored. */
  async sampleOnce(): Promise<boolean> {
    const atMs = this.opts.clock.now().getTime();
    const slot = Math.floor(atMs / this.intervalMs);
    const claimed = await this.opts.redis.set(`${SLOT_KEY_PREFIX}${slot}`, '1', 'PX', this.intervalMs * 2, 'NX');
    if (claimed === null) return false;
    const entries = await Promise.all(
      this.opts.queues.map(async (queue) => {
        const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
        const waiting = (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['delayed'] ?? 0);
        return [queue.name, { waiting, active: counts['active'] ?? 0 }] as const;
      }),
    );
    const sample: QueueDepthSample = { atMs, depths: Object.fromEntries(entries) };
    await this.opts.redis
      .multi()
      .zadd(SAMPLES_KEY, atMs, JSON.stringify(sample))
      .zremrangebyscore(SAMPLES_KEY, '-inf', `(${atMs - this.retentionMs}`)
      .exec();
    return true;
  }
}

/** The samples taken since `sinceMs`, oldest first. */
export async function readQueueDepthSamples(redis: Redis, sinceMs: number): Promise<QueueDepthSample[]> {
  const raw = await redis.zrangebyscore(SAMPLES_KEY, sinceMs, '+inf');
  return raw.map((text) => JSON.parse(text) as QueueDepthSample);
}
