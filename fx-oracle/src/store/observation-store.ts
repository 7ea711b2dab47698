import type { BreakerState } from '../breaker/circuit-breaker';
import type { Observation, SourceId } from '../observation';
import type { SourceErrorKind } from '../sources/source-error';

/** What the refresher last learned about a source, for the operator view. */
export interface SourceHealth {
  readonly source: SourceId;
  readonly demo: boolean;
  readonly breaker: BreakerState;
  readonly lastSuccessAtMs: number | null;
  readonly lastFailureAtMs: number | null;
  readonly lastError: { readonly kind: SourceErrorKind; readonly message: string } | null;
}

/**
 * Where the latest observation of every (source, pair) lives so that every process sees the same
 * rates: Redis in production (`RedisObservationStore`).
 */
export interface ObservationStore {
  /** Replaces each (source, pair)'s latest observation with the given ones. */
  saveObservations(observations: readonly Observation[]): Promise<void>;
  /** The latest observation of every (source, pair), stale ones included (aggregation filters them). */
  loadObservations(): Promise<Observation[]>;
  saveSourceHealth(health: SourceHealth): Promise<void>;
  loadSourceHealth(): Promise<SourceHealth[]>;
}
