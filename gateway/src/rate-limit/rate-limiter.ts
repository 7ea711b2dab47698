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

/**
 * Takes up to ARGV[1] requests from a window's budget: INCRBY the counter (setting its expiry on first use)
 * and return the new total, in one round trip.
 */
const TAKE = `
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n`;

interface TakeCommand {
  rltake(key: string, count: number, ttlMs: number): Promise<number>;
}

/** Requests this process may still let through in one window without asking Redis. */
interface Lease {
  remaining: number;
  exhausted: boolean;
  refill: Promise<boolean> | null;
}

/** A lease never holds more than this share of a budget, nor more than MAX_LEASE requests. */
const LEASE_SHARE = 100;
const MAX_LEASE = 100;

/**
 * Fixed-window request budgets shared by every gateway replica through Redis. Each process takes its
 * budget from Redis in small leases (at most 1 % of the budget, at most 100 requests), so the counter
 * stays shared while most requests need no Redis round trip; small budgets are taken one request at a
 * time and are exact. Over budget → 429 `rate_limited` with the seconds until the window ends (sent as
 * `Retry-After`). When Redis cannot be reached the limiter fails open: an outage of the budget store must
 * not turn every API call into a 500.
 */
export class RateLimiter {
  readonly limits: RateLimits;
  private readonly windowMs: number;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly logger: RateLimiterOptions['logger'];
  private readonly leases = new Map<string, Lease>();
  private leaseWindow = -1;
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
    if (typeof (this.redis as Partial<TakeCommand>).rltake !== 'function') {
      this.redis.defineCommand('rltake', { numberOfKeys: 1, lua: TAKE });
    }
  }

  /** Spends one request of `id`'s budget in `bucket`; throws `RateLimitedError` when it is exhausted. */
  async consume(bucket: RateLimitBucket, id: string): Promise<void> {
    const nowMs = this.now();
    const window = Math.floor(nowMs / this.windowMs);
    if (window !== this.leaseWindow) {
      this.leases.clear();
      this.leaseWindow = window;
    }
    const key = `${this.prefix}${bucket}:${id}:${window}`;
    let lease = this.leases.get(key);
    if (!lease) {
      lease = { remaining: 0, exhausted: false, refill: null };
      this.leases.set(key, lease);
    }
    for (;;) {
      if (lease.remaining > 0) {
        lease.remaining -= 1;
        return;
      }
      if (lease.exhausted) {
        const retryAfterMs = (window + 1) * this.windowMs - nowMs;
        throw new RateLimitedError(Math.max(1, Math.ceil(retryAfterMs / 1000)));
      }
      // One refill at a time per budget: concurrent requests wait for it instead of each asking Redis.
      lease.refill ??= this.refill(lease, key, this.limits[bucket]).finally(() => {
        lease.refill = null;
      });
      if (!(await lease.refill)) return;
    }
  }

  /** Takes a lease from Redis; false when Redis could not be asked (the caller then passes, unlimited). */
  private refill(lease: Lease, key: string, limit: number): Promise<boolean> {
    const size = Math.max(1, Math.min(MAX_LEASE, Math.floor(limit / LEASE_SHARE)));
    return (this.redis as Redis & TakeCommand).rltake(key, size, this.windowMs).then(
      (total) => {
        const granted = Math.max(0, Math.min(size, limit - (total - size)));
        lease.remaining += granted;
        if (granted < size) lease.exhausted = lease.remaining === 0;
        return true;
      },
      (err: unknown) => {
        const nowMs = this.now();
        if (nowMs - this.lastOutageLogMs > 10_000) {
          this.lastOutageLogMs = nowMs;
          this.logger?.warn({ err: { message: (err as Error).message } }, 'rate limits unavailable (Redis); requests pass unlimited');
        }
        return false;
      },
    );
  }
}
