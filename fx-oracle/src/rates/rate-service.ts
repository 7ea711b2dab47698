import { RatesUnavailableError } from '@coinstile/core';
import type { AggregatedRate, RateResolution } from '../aggregation/aggregated-rate';
import { type AggregationOptions, DEFAULT_AGGREGATION_OPTIONS, maxAgeMsFor } from '../aggregation/aggregation-options';
import { resolveRate } from '../aggregation/resolve-rate';
import { effectiveObservedAtMs, type Observation, type SourceId } from '../observation';
import { type Pair, pairKey, parsePairKey } from '../pair';
import type { ObservationStore, SourceHealth } from '../store/observation-store';
import type { RateRules } from './rate-rules';

/** A configured source as the rate service needs to know it. */
export interface ConfiguredSource {
  readonly id: SourceId;
  readonly demo: boolean;
}

export interface RateServiceOptions {
  readonly store: ObservationStore;
  /** The sources `FX_SOURCES` enables, in order. */
  readonly sources: readonly ConfiguredSource[];
  readonly aggregation?: Partial<AggregationOptions>;
  /**
   * How long one read of the store serves later calls (ms). Ages are still measured at each call's
   * own time, so this only delays seeing a newer value, never lets a stale one through. Default 1000.
   */
  readonly snapshotTtlMs?: number;
  /** Pairs `GET /v1/rates` lists when none are asked for. */
  readonly publishedPairs?: readonly Pair[];
  readonly now?: () => number;
}

/** One source's latest value of one pair, for the operator view. */
export interface SourceValueView {
  readonly pair: string;
  readonly value: string;
  readonly observedAtMs: number;
  readonly fetchedAtMs: number;
  readonly ageMs: number;
  readonly fresh: boolean;
}

/** A source as the operator sees it: breaker state, last success or error, last values with their age. */
export interface SourceStatus {
  readonly source: SourceId;
  readonly demo: boolean;
  readonly health: SourceHealth | null;
  readonly values: readonly SourceValueView[];
}

export const DEFAULT_PUBLISHED_PAIRS: readonly Pair[] = ['BTC', 'LTC', 'ETH', 'USDC'].flatMap((base) =>
  ['USD', 'EUR', 'JPY'].map((quote) => ({ base, quote })),
);

/**
 * Rates from the shared observation store: aggregated on each call at the call's own time, so a value
 * that has grown stale since it was stored is never used. A store rule's preferred sources are tried
 * first, with its fallback sources added when they alone give no rate.
 */
export class RateService {
  readonly aggregation: AggregationOptions;
  private readonly now: () => number;
  private readonly snapshotTtlMs: number;
  private snapshot: { readonly loadedAtMs: number; readonly observations: Promise<Observation[]> } | null = null;
  /** Resolutions computed from one snapshot, reused while every value they rest on is still fresh. */
  private readonly resolved = new Map<string, { readonly observations: readonly Observation[]; readonly resolution: RateResolution }>();

  constructor(private readonly options: RateServiceOptions) {
    this.aggregation = { ...DEFAULT_AGGREGATION_OPTIONS, ...options.aggregation };
    this.now = options.now ?? Date.now;
    this.snapshotTtlMs = options.snapshotTtlMs ?? 1_000;
  }

  get sources(): readonly ConfiguredSource[] {
    return this.options.sources;
  }

  /** The rate of `base` in `quote` (e.g. BTC in JPY); throws `RatesUnavailableError` (503) when none is fresh. */
  async rate(pair: Pair, rules?: RateRules): Promise<AggregatedRate> {
    const resolution = await this.resolve(pair, rules);
    if (resolution.kind === 'unavailable') {
      throw new RatesUnavailableError(`No fresh ${resolution.pair} rate: ${resolution.detail}`, {
        pair: resolution.pair,
        reason: resolution.reason,
      });
    }
    return resolution.rate;
  }

  /** Like `rate`, but says why instead of throwing. */
  async resolve(pair: Pair, rules?: RateRules): Promise<RateResolution> {
    const observations = await this.observations();
    const nowMs = this.now();
    const preferred = this.known(rules?.preferredSources);
    const fallback = this.known(rules?.fallbackSources);
    const first = preferred.length > 0 ? preferred : this.options.sources.map((source) => source.id);
    let resolution = this.resolveFrom(observations, pair, first, nowMs);
    if (resolution.kind === 'unavailable' && fallback.length > 0) {
      resolution = this.resolveFrom(observations, pair, [...new Set([...first, ...fallback])], nowMs);
    }
    return resolution;
  }

  /**
   * `resolveRate`, memoized per snapshot. A memoized rate is reused only while every value it used is
   * still fresh at `nowMs`; values only ever age, so a value that was stale or absent cannot have
   * changed the result, and a memoized "unavailable" stands until the next snapshot.
   */
  private resolveFrom(observations: readonly Observation[], pair: Pair, sourceIds: readonly SourceId[], nowMs: number): RateResolution {
    const key = `${pairKey(pair)}|${sourceIds.join(',')}`;
    const memo = this.resolved.get(key);
    if (memo && memo.observations === observations && (memo.resolution.kind === 'unavailable' || this.stillFresh(memo.resolution.rate, nowMs))) {
      return memo.resolution;
    }
    const resolution = resolveRate(observations, pair, this.optionsFor(sourceIds), nowMs);
    this.resolved.set(key, { observations, resolution });
    return resolution;
  }

  private stillFresh(rate: AggregatedRate, nowMs: number): boolean {
    return rate.sources.every((component) => nowMs - component.observedAtMs <= maxAgeMsFor(parsePairKey(component.pair), this.aggregation));
  }

  /** Every published pair (or the given ones), each available or with the reason it is not. */
  async listRates(pairs: readonly Pair[] = this.options.publishedPairs ?? DEFAULT_PUBLISHED_PAIRS): Promise<RateResolution[]> {
    return Promise.all(pairs.map((pair) => this.resolve(pair)));
  }

  /** Each configured source with its health and the age of its last values. */
  async sourceStatuses(): Promise<SourceStatus[]> {
    const [observations, health] = await Promise.all([this.options.store.loadObservations(), this.options.store.loadSourceHealth()]);
    const nowMs = this.now();
    return this.options.sources.map((source) => ({
      source: source.id,
      demo: source.demo,
      health: health.find((entry) => entry.source === source.id) ?? null,
      values: observations
        .filter((observation) => observation.source === source.id)
        .map((observation) => {
          const observedAtMs = effectiveObservedAtMs(observation);
          return {
            pair: pairKey(observation.pair),
            value: observation.value,
            observedAtMs,
            fetchedAtMs: observation.fetchedAtMs,
            ageMs: nowMs - observedAtMs,
            fresh: nowMs - observedAtMs <= maxAgeMsFor(observation.pair, this.aggregation),
          };
        }),
    }));
  }

  private optionsFor(sourceIds: readonly SourceId[]): AggregationOptions {
    const allowed = new Set(sourceIds);
    const onlyDemo = this.options.sources.filter((source) => allowed.has(source.id)).every((source) => source.demo);
    // A demo-only setup has a single source by construction; requiring two would make it useless.
    return { ...this.aggregation, allowedSources: allowed, minSources: onlyDemo ? 1 : this.aggregation.minSources };
  }

  private known(ids: readonly SourceId[] | undefined): SourceId[] {
    return (ids ?? []).filter((id) => this.options.sources.some((source) => source.id === id));
  }

  private observations(): Promise<Observation[]> {
    const nowMs = this.now();
    if (this.snapshot && nowMs - this.snapshot.loadedAtMs < this.snapshotTtlMs) return this.snapshot.observations;
    const observations = this.options.store.loadObservations();
    this.snapshot = { loadedAtMs: nowMs, observations };
    // A failed read must not be served from the cache.
    observations.catch(() => {
      if (this.snapshot?.observations === observations) this.snapshot = null;
    });
    return observations;
  }
}
