import type { Redis } from 'ioredis';

export interface FailureLockoutOptions {
  /** Failures allowed within `windowMs`; the next attempt is refused until the window ends. */
  readonly maxFailures: number;
  /** The window starts at the first failure and is not extended by later ones. */
  readonly windowMs: number;
  /** Redis key prefix (hash-tag it for Redis Cluster). */
  readonly prefix: string;
  /** Told (at most every 10 s) when Redis cannot be asked and attempts pass unchecked. */
  readonly logger?: { warn(obj: object, msg?: string): void };
  readonly now?: () => number;
}

/** INCR the failure count, setting the window's expiry on the first failure; returns the count. */
const RECORD = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

interface RecordCommand {
  lockoutrecord(key: string, windowMs: number): Promise<number>;
}

/**
 * Lockout after repeated failures (wrong passwords), shared by every gateway replica through Redis: each
 * subject (an account, a client IP) may fail `maxFailures` times per window; then every attempt, right or
 * wrong, is refused until the window ends. Unlike `RateLimiter` only failures count, and a locked subject
 * is refused before its attempt is checked. When Redis cannot be reached it fails open (and says so in
 * the log), as the request limiter does: the memory-hard hash still slows guessing.
 */
export class FailureLockout {
  #lastOutageLogMs = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: FailureLockoutOptions,
  ) {
    if (typeof (redis as Partial<RecordCommand>).lockoutrecord !== 'function') {
      redis.defineCommand('lockoutrecord', { numberOfKeys: 1, lua: RECORD });
    }
  }

  /** Seconds until `subject` may try again; 0 when it is not locked out. */
  async lockedForSeconds(subject: string): Promise<number> {
    const key = this.#key(subject);
    try {
      const [count, ttlMs] = await Promise.all([this.redis.get(key), this.redis.pttl(key)]);
      if (count === null || Number(count) < this.options.maxFailures) return 0;
      return Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : this.options.windowMs) / 1000));
    } catch (err) {
      this.#outage(err);
      return 0;
    }
  }

  /** Counts one failure of `subject`. */
  async recordFailure(subject: string): Promise<void> {
    try {
      await (this.redis as Redis & RecordCommand).lockoutrecord(this.#key(subject), this.options.windowMs);
    } catch (err) {
      this.#outage(err);
    }
  }

  /** Forgets `subject`'s failures (after a successful attempt). */
  async clear(subject: string): Promise<void> {
    try {
      await this.redis.del(this.#key(subject));
    } catch (err) {
      this.#outage(err);
    }
  }

  #key(subject: string): string {
    return `${this.options.prefix}${subject}`;
  }

  #outage(err: unknown): void {
    const nowMs = (this.options.now ?? Date.now)();
    if (nowMs - this.#lastOutageLogMs < 10_000) return;
    this.#lastOutageLogMs = nowMs;
    this.options.logger?.warn({ err: { message: (err as Error).message } }, 'failure lockout unavailable (Redis); attempts pass unchecked');
  }
}
