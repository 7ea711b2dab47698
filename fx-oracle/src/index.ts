export { FxDecimal, PUBLISHED_RATE_DIGITS } from './fx-decimal';
export { type Pair, type PairKey, pairKey, parsePairKey } from './pair';
export { type Observation, type SourceId, effectiveObservedAtMs } from './observation';

export { SourceError, type SourceErrorKind } from './sources/source-error';
export type { RateSource, SourceFetchResult, HttpSourceOptions } from './sources/rate-source';
export { CoinbaseSource } from './sources/coinbase-source';
export { KrakenSource, krakenPairNames } from './sources/kraken-source';
export { BitstampSource } from './sources/bitstamp-source';
export { BinanceSource } from './sources/binance-source';
export { CoinGeckoSource } from './sources/coingecko-source';
export { EcbSource, parseEcbDailyXml } from './sources/ecb-source';
export { StaticSource, parseStaticRates, InvalidStaticRatesError, type StaticRate } from './sources/static-source';
export { createRateSources, DEFAULT_SOURCE_BASE_URLS, type CreateRateSourcesOptions, type RateSourceName } from './sources/create-rate-sources';

export { CircuitBreaker, type BreakerState, type BreakerStatus, type BreakerOptions, DEFAULT_BREAKER_OPTIONS } from './breaker/circuit-breaker';
export type { ObservationStore, SourceHealth } from './store/observation-store';
export { RedisObservationStore } from './store/redis-observation-store';
export { RedisRefreshLease } from './store/redis-refresh-lease';
export { RefreshScheduler, type RefreshLease, type RefreshOutcome, type RefreshSchedulerOptions, type RefreshLogger } from './refresh/refresh-scheduler';

export type { AggregatedRate, RateComponent, RateResolution, UnavailableReason } from './aggregation/aggregated-rate';
export { type AggregationOptions, DEFAULT_AGGREGATION_OPTIONS, maxAgeMsFor } from './aggregation/aggregation-options';
export { resolveRate } from './aggregation/resolve-rate';
export { median } from './aggregation/median';

export { type RateRules, type RateRulesProvider, checkRateRules, fixedRateRules, DEFAULT_RATE_RULES, MAX_SPREAD_BPS } from './rates/rate-rules';
export {
  RateService,
  type RateServiceOptions,
  type ConfiguredSource,
  type SourceStatus,
  type SourceValueView,
  DEFAULT_PUBLISHED_PAIRS,
} from './rates/rate-service';

export { type Quote, type QuoteStatus, quoteStatus } from './quotes/quote';
export { applySpread, priceQuote, type QuotePrice } from './quotes/quote-pricing';
export { QuoteTokenSigner, InvalidQuoteTokenError, type QuoteTokenClaims } from './quotes/quote-token';
export type { QuoteRepository, BulkQuoteRepository } from './quotes/quote-repository';
export { BatchingQuoteRepository } from './quotes/batching-quote-repository';
export { KyselyQuoteRepository } from './quotes/kysely-quote-repository';
export { QuoteService, type LockQuoteRequest, type SignedQuote, type CurrentQuote, type QuoteServiceOptions } from './quotes/quote-service';

export { createFxRouter, type FxRouterOptions, rateView, quoteView, sourceView } from './http/fx-router';
export { DEMO_STATIC_RATES, OBSERVATION_KEY_PREFIX, configuredRateSources, startFxRefresher } from './main';
