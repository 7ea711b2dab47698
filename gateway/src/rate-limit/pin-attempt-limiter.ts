import { DomainError } from '@coinstile/core';
import type { Redis } from 'ioredis';

/** Too many wrong PINs from this client or for this checkout: locked out for a while. 429 `pin_attempts_locked`. */
export class PinAttemptsLockedError extends DomainError {
  readonly httpStatus = 429;
  readonly code = 'pin_attempts_locked';
  constructor(readonly retryAfterSeconds: number) {
    super('Too many wrong PINs; try again later', { retryAfterSeconds });
  }
}

/** The attempt counters cannot be reached: PINs are not checked unguarded. 503 `pin_checks_unavailable`. */
export class PinChecksUnavailableError extends DomainError {
  readonly httpStatus = 503;
  readonly code = 'pin_checks_unavailable';
  constructor() {
    super('PIN checks are unavailable; retry shortly');
  }
}

export interface PinAttemptLimits {
  /** Wrong PINs one client IP may send per window. */
  readonly perIp: number;
  /** Wrong PINs tried against one checkout (or one POS store) per window. */
  readonly perSubject: number;
  /** The window starts at the first attempt; default 15 minutes. */
  readonly windowMs: number;
}

export const DEFAULT_PIN_ATTEMPT_LIMITS: PinAttemptLimits = { perIp: 20, perSubject: 10, windowMs: 15 * 60_000 };

/**
 * Reserves one attempt on every key (INCR, expiry set on the first) and answers the largest number of
 * seconds any over-limit key still runs (0: allowed). Reserving before the PIN is checked makes the limit
 * exact however many guesses arrive at once; a right PIN gives its reservation back.
 */
const RESERVE = `
local locked = 0
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  if n > tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl > locked then locked = ttl end
  end
end
return locked`;

interface ReserveCommand {
  pinreserve(...args: (string | number)[]): Promise<number>;
}

/**
 * Brute-force guard for voucher PINs, shared by every gateway replica through Redis: a client IP and a
 * subject (the checkout a PIN is applied to, the store activating, or the balance page) may each send a
 * bounded number of wrong PINs per window; past it every attempt, right or wrong, is refused with 429
 * until the window ends. Fails closed: without Redis no PIN is checked (503).
 */
export class PinAttemptLimiter {
  readonly limits: PinAttemptLimits;

  constructor(
    private readonly redis: Redis,
    limits: Partial<PinAttemptLimits> = {},
    private readonly prefix = 'coinstile:pin:',
  ) {
    this.limits = { ...DEFAULT_PIN_ATTEMPT_LIMITS, ...limits };
    if (typeof (redis as Partial<ReserveCommand>).pinreserve !== 'function') redis.defineCommand('pinreserve', { lua: RESERVE });
  }

  /**
   * Runs `attempt` (which checks a PIN and returns whether it was right) under the limits of `ip` and
   * `subject` (none: the IP's alone); throws `PinAttemptsLockedError` without running it when one is exhausted.
   */
  async guard<T>(ip: string, subject: string | undefined, attempt: () => Promise<{ readonly right: boolean; readonly value: T }>): Promise<T> {
    const keys = [`${this.prefix}ip:${ip}`, ...(subject === undefined ? [] : [`${this.prefix}subject:${subject}`])];
    const limits = [this.limits.perIp, ...(subject === undefined ? [] : [this.limits.perSubject])];
    let lockedMs: number;
    try {
      lockedMs = await (this.redis as Redis & ReserveCommand).pinreserve(keys.length, ...keys, this.limits.windowMs, ...limits);
    } catch {
      throw new PinChecksUnavailableError();
    }
    if (lockedMs > 0) throw new PinAttemptsLockedError(Math.max(1, Math.ceil(lockedMs / 1000)));
    const outcome = await attempt();
    if (outcome.right) {
      // Only wrong PINs spend the budget; a failure to give it back merely costs the caller one attempt.
      await Promise.all(keys.map((k) => this.redis.decr(k))).catch(() => undefined);
    }
    return outcome.value;
  }
}
