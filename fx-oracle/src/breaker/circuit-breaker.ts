import { assertNever } from '@coinstile/core';

/**
 * A source's circuit breaker state. `closed`: requests flow, consecutive failures counted; `open`: the
 * source failed `failureThreshold` times in a row and is left alone until `retryAtMs`; `half_open`: one
 * trial request is in flight, whose outcome closes or re-opens the breaker.
 */
export type BreakerState =
  | { readonly status: 'closed'; readonly consecutiveFailures: number }
  | { readonly status: 'open'; readonly openedAtMs: number; readonly retryAtMs: number; readonly consecutiveFailures: number }
  | { readonly status: 'half_open'; readonly trialStartedAtMs: number; readonly consecutiveFailures: number };

export type BreakerStatus = BreakerState['status'];

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. Default 3. */
  readonly failureThreshold: number;
  /** How long an open breaker waits before a half-open trial (ms). Default 60 000. */
  readonly openMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = { failureThreshold: 3, openMs: 60_000 };

/** Per-source circuit breaker; pure transitions over `BreakerState`, time passed in. */
export class CircuitBreaker {
  private current: BreakerState = { status: 'closed', consecutiveFailures: 0 };

  constructor(private readonly options: BreakerOptions = DEFAULT_BREAKER_OPTIONS) {}

  get state(): BreakerState {
    return this.current;
  }

  /**
   * Whether a request may go out now. An open breaker whose wait is over turns half-open and lets
   * exactly one trial through; while that trial runs, nothing else goes.
   */
  tryAcquire(nowMs: number): boolean {
    const state = this.current;
    switch (state.status) {
      case 'closed':
        return true;
      case 'open':
        if (nowMs < state.retryAtMs) return false;
        this.current = { status: 'half_open', trialStartedAtMs: nowMs, consecutiveFailures: state.consecutiveFailures };
        return true;
      case 'half_open':
        return false;
      default:
        return assertNever(state, 'breaker state');
    }
  }

  recordSuccess(): void {
    this.current = { status: 'closed', consecutiveFailures: 0 };
  }

  recordFailure(nowMs: number): void {
    const state = this.current;
    const failures = state.consecutiveFailures + 1;
    switch (state.status) {
      case 'closed':
        this.current =
          failures >= this.options.failureThreshold
            ? { status: 'open', openedAtMs: nowMs, retryAtMs: nowMs + this.options.openMs, consecutiveFailures: failures }
            : { status: 'closed', consecutiveFailures: failures };
        return;
      case 'half_open':
      case 'open':
        this.current = { status: 'open', openedAtMs: nowMs, retryAtMs: nowMs + this.options.openMs, consecutiveFailures: failures };
        return;
      default:
        assertNever(state, 'breaker state');
    }
  }
}
