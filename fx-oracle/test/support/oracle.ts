import { randomUUID } from 'node:crypto';
import {
  createRateSources,
  RateService,
  type RateSourceName,
  RedisObservationStore,
  RefreshScheduler,
  type RateServiceOptions,
  type RefreshSchedulerOptions,
} from '@coinstile/fx-oracle';
import { Redis } from 'ioredis';

export const ALL_EXCHANGES: RateSourceName[] = ['coinbase', 'kraken', 'bitstamp', 'binance', 'coingecko', 'ecb'];

/** One oracle "process": its own Redis connection, store, scheduler and rate service, sharing a key prefix. */
export interface OracleInstance {
  readonly redis: Redis;
  readonly store: RedisObservationStore;
  readonly scheduler: RefreshScheduler;
  readonly rates: RateService;
  close(): Promise<void>;
}

export function uniquePrefix(): string {
  return `test-${randomUUID()}:`;
}

export function startOracle(options: {
  redisUrl: string;
  keyPrefix: string;
  baseUrl: string;
  names?: RateSourceName[];
  staticRates?: { base: string; quote: string; rate: string }[];
  now?: () => number;
  refreshIntervalMs?: number;
  /** Per-request timeout of the sources (default 400 ms, short enough for the timeout tests). */
  timeoutMs?: number;
  scheduler?: Partial<RefreshSchedulerOptions>;
  rates?: Partial<RateServiceOptions>;
}): OracleInstance {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const store = new RedisObservationStore(redis, options.keyPrefix);
  const names = options.names ?? ALL_EXCHANGES;
  const baseUrls = Object.fromEntries(ALL_EXCHANGES.map((name) => [name, options.baseUrl]));
  const sources = createRateSources({
    names,
    baseUrls,
    timeoutMs: options.timeoutMs ?? 400,
    ...(options.refreshIntervalMs ? { refreshIntervalMs: options.refreshIntervalMs } : {}),
    ...(options.staticRates ? { staticRates: options.staticRates } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const scheduler = new RefreshScheduler({ sources, store, ...(options.now ? { now: options.now } : {}), ...options.scheduler });
  const rates = new RateService({
    store,
    sources,
    snapshotTtlMs: 0,
    ...(options.now ? { now: options.now } : {}),
    ...options.rates,
  });
  return {
    redis,
    store,
    scheduler,
    rates,
    async close() {
      await scheduler.stop();
      redis.disconnect();
    },
  };
}
