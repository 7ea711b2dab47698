import { RateLimitedError } from '@coinstile/core';
import type { Redis } from 'ioredis';

/** Whose budget a request spends: a store API key, an operator token, or a client IP (public routes, failed auth). */
export type RateLimitBucket = 'key' | 'operator' | 'ip';

/** Requests allowed per window for each bucket. */
export type RateLimits = Readonly<Record<RateLimitBucket, number>>;

export const DEFAULT_RATE_LIMITS: RateLimits = { key: 6_000, operator: 6_000, ip: 600 };

export interface RateLimiterOptions {
  readonly limits?: Partial<RateLimits>;
  /** Window length; default one minute. */
  readonly windowMs?: number;
  /** Redis key prefix (hash-tag it for Redis Cluster); default `coinstile:rl:`. */
  readonly prefix?: string;
  readonly now?: () => number;
  /** Told (at most every 10 s) when Redis cannot be asked and requests pass unlimited. */
  readonly logger?: { warn(obj: object, msg?: string): void };
}

/** INCR the window's counter and set its expiry on first use, in one round trip. */
const CONSUME = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

interface ConsumeCommand {
  rlconsume(key: string, ttlMs: number): Promise<number>;
}

/**
 * Fixed-window request budgets shared by every gateway replica through Redis. Over budget → 429
 * `rate_limited` with the seconds until the window ends (sent as `Retry-After`). When Redis cannot be
 * reached the limiter fails open: an outage of the budget store must not turn every API call into a 500.
 */
export class RateLimiter {
  readonly limits: RateLimits;
  private readonly windowMs: number;
  private readonly prefix: string;
  private readonly logger: RateLimiterOptions['logger'];
  private readonly now: () => number;
  private lastOutageLogMs = 0;

  constructor(
    private readonly redis: Redis,
    options: RateLimiterOptions = {},
  ) {
    this.limits = { ...DEFAULT_RATE_LIMITS, ...options.limits };
    this.windowMs = options.windowMs ?? 60_000;
    this.prefix = options.prefix ?? 'coinstile:rl:';
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    if (typeof (this.redis as Partial<ConsumeCommand>).rlconsume !== 'function') {
      this.redis.defineCommand('rlconsume', { numberOfKeys: 1, lua: CONSUME });
    }
  }

  /** Spends one request of `id`'s budget in `bucket`; throws `RateLimitedError` when it is exhausted. */
  async consume(bucket: RateLimitBucket, id: string): Promise<void> {
    const nowMs = this.now();
    const window = Math.floor(nowMs / this.windowMs);
    let count: number;
    try {
      count = await (this.redis as Redis & ConsumeCommand).rlconsume(`${this.prefix}${bucket}:${id}:${window}`, this.windowMs);
    } catch (err) {
      if (nowMs - this.lastOutageLogMs > 10_000) {
        this.lastOutageLogMs = nowMs;
        this.logger?.warn({ err: { message: (err as Error).message } }, 'rate limits unavailable (Redis); requests pass unlimited');
      }
      return;
    }
    if (count > this.limits[bucket]) {
      const retryAfterMs = (window + 1) * this.windowMs - nowMs;
      throw new RateLimitedError(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    }
  }
}
