import { type BreakerOptions, CircuitBreaker, DEFAULT_BREAKER_OPTIONS } from '../breaker/circuit-breaker';
import type { SourceId } from '../observation';
import type { RateSource, SourceFetchResult } from '../sources/rate-source';
import { SourceError } from '../sources/source-error';
import type { ObservationStore, SourceHealth } from '../store/observation-store';

/** What one refresh of one source did. */
export type RefreshOutcome =
  | { readonly kind: 'refreshed'; readonly source: SourceId; readonly observations: number; readonly rejected: readonly SourceError[] }
  | { readonly kind: 'failed'; readonly source: SourceId; readonly error: SourceError }
  | { readonly kind: 'store_failed'; readonly source: SourceId; readonly error: Error }
  | { readonly kind: 'skipped_breaker_open'; readonly source: SourceId }
  | { readonly kind: 'skipped_refreshed_elsewhere'; readonly source: SourceId };

/**
 * A fleet-wide claim on one source's next refresh. Every gateway and `coinstile fx` process runs a
 * scheduler; with a lease, each source is fetched once per interval by whichever process claims it first,
 * not once per process (exchanges rate-limit by IP, and N replicas would spend N times the budget).
 */
export interface RefreshLease {
  /** True when this process may refresh `source` now; the claim lapses by itself after `ttlMs`. */
  tryAcquire(source: SourceId, ttlMs: number): Promise<boolean>;
}

/** The part of a pino logger the scheduler uses. */
export interface RefreshLogger {
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface RefreshSchedulerOptions {
  readonly sources: readonly RateSource[];
  readonly store: ObservationStore;
  readonly breaker?: Partial<BreakerOptions>;
  /** Each wait is the source's interval × (1 ± jitterRatio), so a fleet does not poll in lockstep. Default 0.1. */
  readonly jitterRatio?: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly logger?: RefreshLogger;
  /** Shares the refreshes among processes (see `RefreshLease`); without it this process fetches every source itself. */
  readonly lease?: RefreshLease;
}

/**
 * Refreshes every source on its own jittered timer (default every 30 s) and writes what it gets to the
 * shared store, each source behind its own circuit breaker. Any number of processes may run one: they
 * all write the same latest values, and with a `lease` they take turns instead of all fetching.
 */
export class RefreshScheduler {
  private readonly breakers = new Map<SourceId, CircuitBreaker>();
  private readonly health = new Map<SourceId, SourceHealth>();
  private readonly timers = new Map<SourceId, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<RefreshOutcome>>();
  private readonly now: () => number;
  private readonly random: () => number;
  private running = false;

  constructor(private readonly options: RefreshSchedulerOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    const breakerOptions = { ...DEFAULT_BREAKER_OPTIONS, ...options.breaker };
    for (const source of options.sources) {
      if (this.breakers.has(source.id)) throw new Error(`Rate source ${source.id} is configured twice`);
      this.breakers.set(source.id, new CircuitBreaker(breakerOptions));
    }
  }

  /** Refreshes every source once now, then keeps refreshing each on its timer until `stop`. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.refreshAll();
    for (const source of this.options.sources) this.schedule(source);
  }

  /** Stops the timers and waits for refreshes in flight. */
  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Refreshes every source once (breakers permitting). */
  refreshAll(): Promise<RefreshOutcome[]> {
    return Promise.all(this.options.sources.map((source) => this.refresh(source)));
  }

  /** The breaker state of a source in this process. */
  breakerState(source: SourceId): CircuitBreaker['state'] | undefined {
    return this.breakers.get(source)?.state;
  }

  refresh(source: RateSource): Promise<RefreshOutcome> {
    const run = this.refreshOnce(source);
    this.inFlight.add(run);
    run.then(
      () => this.inFlight.delete(run),
      () => this.inFlight.delete(run),
    );
    return run;
  }

  private schedule(source: RateSource): void {
    if (!this.running) return;
    const jitter = this.options.jitterRatio ?? 0.1;
    const delay = Math.max(1, Math.round(source.refreshIntervalMs * (1 - jitter + 2 * jitter * this.random())));
    const timer = setTimeout(() => {
      this.refresh(source).then(
        () => this.schedule(source),
        (err: unknown) => {
          this.options.logger?.warn({ source: source.id, err: err instanceof Error ? err.message : String(err) }, 'rate refresh failed');
          this.schedule(source);
        },
      );
    }, delay);
    timer.unref();
    this.timers.set(source.id, timer);
  }

  private async refreshOnce(source: RateSource): Promise<RefreshOutcome> {
    const breaker = this.breakers.get(source.id);
    if (!breaker) throw new Error(`Unknown rate source ${source.id}`);
    // A breaker that would refuse does not claim the fleet's lease: another process may reach the source.
    if (!breakerWouldAllow(breaker.state, this.now())) return { kind: 'skipped_breaker_open', source: source.id };
    if (this.options.lease && !(await this.claimLease(source, this.options.lease))) return { kind: 'skipped_refreshed_elsewhere', source: source.id };
    if (!breaker.tryAcquire(this.now())) return { kind: 'skipped_breaker_open', source: source.id };

    let outcome: RefreshOutcome;
    try {
      const result = await this.fetchFrom(source);
      try {
        await this.options.store.saveObservations(result.observations);
        outcome = { kind: 'refreshed', source: source.id, observations: result.observations.length, rejected: result.rejected };
      } catch (err) {
        // The store (Redis) failing is not the source's fault: its breaker counts this as a success.
        outcome = { kind: 'store_failed', source: source.id, error: err instanceof Error ? err : new Error(String(err)) };
        this.options.logger?.warn({ source: source.id, err: outcome.error.message }, 'could not store rates');
      }
      breaker.recordSuccess();
      for (const rejection of result.rejected) {
        this.options.logger?.warn({ source: source.id, kind: rejection.kind, err: rejection.message }, 'rate value rejected');
      }
    } catch (err) {
      const error = err instanceof SourceError ? err : new SourceError(source.id, 'malformed', err instanceof Error ? err.message : String(err));
      breaker.recordFailure(this.now());
      outcome = { kind: 'failed', source: source.id, error };
      this.options.logger?.warn({ source: source.id, kind: error.kind, err: error.message, breaker: breaker.state.status }, 'rate source failed');
    }
    await this.publishHealth(source, breaker, outcome);
    return outcome;
  }

  /**
   * The lease lasts a little less than the shortest jittered interval, so it has lapsed by the time any
   * process's timer fires again. A lease store that fails (Redis down) does not stop refreshes: fetching
   * twice is better than not at all.
   */
  private async claimLease(source: RateSource, lease: RefreshLease): Promise<boolean> {
    const jitter = this.options.jitterRatio ?? 0.1;
    const ttlMs = Math.max(1, Math.floor(source.refreshIntervalMs * (1 - jitter) * 0.9));
    try {
      return await lease.tryAcquire(source.id, ttlMs);
    } catch (err) {
      this.options.logger?.warn({ source: source.id, err: err instanceof Error ? err.message : String(err) }, 'refresh lease unavailable; refreshing anyway');
      return true;
    }
  }

  private async fetchFrom(source: RateSource): Promise<SourceFetchResult> {
    const result = await source.fetchLatest();
    if (result.observations.length === 0) throw new SourceError(source.id, 'malformed', 'the response held no usable value');
    return result;
  }

  private async publishHealth(source: RateSource, breaker: CircuitBreaker, outcome: RefreshOutcome): Promise<void> {
    const previous = this.health.get(source.id);
    const nowMs = this.now();
    const health: SourceHealth = {
      source: source.id,
      demo: source.demo,
      breaker: breaker.state,
      lastSuccessAtMs: outcome.kind === 'refreshed' ? nowMs : (previous?.lastSuccessAtMs ?? null),
      lastFailureAtMs: outcome.kind === 'failed' ? nowMs : (previous?.lastFailureAtMs ?? null),
      lastError: outcome.kind === 'failed' ? { kind: outcome.error.kind, message: outcome.error.message } : (previous?.lastError ?? null),
    };
    this.health.set(source.id, health);
    try {
      await this.options.store.saveSourceHealth(health);
    } catch (err) {
      this.options.logger?.warn({ source: source.id, err: err instanceof Error ? err.message : String(err) }, 'could not publish source health');
    }
  }
}

function breakerWouldAllow(state: CircuitBreaker['state'], nowMs: number): boolean {
  switch (state.status) {
    case 'closed':
      return true;
    case 'open':
      return nowMs >= state.retryAtMs;
    case 'half_open':
      return false;
  }
}
