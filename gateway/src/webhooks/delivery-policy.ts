/** How deliveries are retried, and when an endpoint is given up on. */
export interface DeliveryPolicy {
  /** Delay after the first failure; doubles after each further one. Default 30 s. */
  readonly baseDelayMs: number;
  /** Ceiling of a single delay. Default 6 h. */
  readonly maxDelayMs: number;
  /** Each delay is scaled by a random factor in [1 − jitter, 1 + jitter]. Default 0.2. */
  readonly jitter: number;
  /** A delivery still failing this long after it was created is marked `failed`. Default 3 days. */
  readonly giveUpAfterMs: number;
  /**
   * Within one endpoint, the events of one checkout go in order; an event that has failed this many
   * attempts stops holding back the later ones (it keeps retrying on its own schedule). Default 3.
   */
  readonly headOfLineAttempts: number;
  /**
   * An event also waits for the earlier outbox events of its checkout to be fanned out (relay batches
   * can reach the fan-out in either order), but no longer than this after such an event was written: a
   * fan-out job lost for good must not hold a checkout's later events back forever. Default 10 min.
   */
  readonly fanOutWaitMs: number;
  /** An endpoint failing this many attempts in a row, with no success since, is disabled. Default 100. */
  readonly disableAfterConsecutiveFailures: number;
  /** Bound on one HTTP exchange. Default 10 s. */
  readonly timeoutMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  baseDelayMs: 30_000,
  maxDelayMs: 6 * 3600_000,
  jitter: 0.2,
  giveUpAfterMs: 3 * 24 * 3600_000,
  headOfLineAttempts: 3,
  fanOutWaitMs: 10 * 60_000,
  disableAfterConsecutiveFailures: 100,
  timeoutMs: 10_000,
};

/**
 * The wait before attempt `attemptsMade + 1`, after `attemptsMade` (≥ 1) failures: exponential, capped,
 * jittered so that many deliveries failing together (an endpoint outage) do not all retry at once.
 * With the defaults: 30 s, 1 min, 2 min … 6 h, 6 h …, about 19 attempts over 3 days.
 */
export function retryDelayMs(attemptsMade: number, policy: DeliveryPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.max(0, Math.round(base * factor));
}
