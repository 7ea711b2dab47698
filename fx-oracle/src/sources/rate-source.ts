import type { Observation, SourceId } from '../observation';
import type { SourceError } from './source-error';

/** What one fetch of a source produced: the values it accepted and the per-pair values it rejected. */
export interface SourceFetchResult {
  readonly observations: readonly Observation[];
  readonly rejected: readonly SourceError[];
}

/**
 * A rate source: one exchange's (or the ECB's, or the demo's) public price API behind one adapter.
 * `fetchLatest` throws a `SourceError` when the whole response is unusable (timeout, HTTP error, error
 * body, malformed document); a value it cannot accept for one pair lands in `rejected` instead, so one bad
 * pair does not discard the others.
 */
export interface RateSource {
  readonly id: SourceId;
  /** True only for the static demo source; every view of its rates says "demo rates". */
  readonly demo: boolean;
  /** How often the scheduler should refresh it (ms), before jitter. */
  readonly refreshIntervalMs: number;
  fetchLatest(): Promise<SourceFetchResult>;
}

/** Options every HTTP source takes. */
export interface HttpSourceOptions {
  /** Scheme, host and optional path prefix, e.g. `https://api.coinbase.com`; tests point it at a local server. */
  readonly baseUrl: string;
  /** Per-request timeout (ms). Default 5000. */
  readonly timeoutMs?: number;
  /** Refresh interval (ms). Default 30 000 (the ECB source: 1 hour). */
  readonly refreshIntervalMs?: number;
  /** Injected clock for `fetchedAtMs` (tests). */
  readonly now?: () => number;
}

export const DEFAULT_SOURCE_TIMEOUT_MS = 5_000;
export const DEFAULT_REFRESH_INTERVAL_MS = 30_000;
