import { randomBytes } from 'node:crypto';
import {
  BatchingQuoteRepository,
  createRateSources,
  KyselyQuoteRepository,
  type QuoteRepository,
  QuoteService,
  QuoteTokenSigner,
  RateService,
  type RateSourceName,
  RedisObservationStore,
  RefreshScheduler,
} from '@coinstile/fx-oracle';
import { closeableComponent, type ServiceRuntime } from '@coinstile/platform';

/**
 * Demo rates used when `FX_SOURCES` is the static source and `FX_STATIC_RATES` is unset (the embedded
 * default), so a fresh install can open checkouts. Every quote made from them is labelled "demo rates".
 */
export const DEFAULT_DEMO_RATES = [
  { base: 'BTC', quote: 'USD', rate: '60000' },
  { base: 'LTC', quote: 'USD', rate: '80' },
  { base: 'ETH', quote: 'USD', rate: '3000' },
  { base: 'USDC', quote: 'USD', rate: '1' },
  { base: 'BTC', quote: 'EUR', rate: '55000' },
  { base: 'LTC', quote: 'EUR', rate: '74' },
  { base: 'ETH', quote: 'EUR', rate: '2750' },
  { base: 'USDC', quote: 'EUR', rate: '0.92' },
  { base: 'BTC', quote: 'JPY', rate: '9000000' },
  { base: 'LTC', quote: 'JPY', rate: '12000' },
  { base: 'ETH', quote: 'JPY', rate: '450000' },
  { base: 'USDC', quote: 'JPY', rate: '150' },
] as const;

/** The FX oracle as the gateway uses it in-process: rates from the shared Redis store, quotes locked in Postgres. */
export interface FxComponents {
  readonly rates: RateService;
  /** Locks quotes and stores them at once. */
  readonly quotes: QuoteService;
  /** A quote service with the same rates, rules and signing key over another repository. */
  quoteServiceWith(repository: QuoteRepository): QuoteService;
  readonly scheduler: RefreshScheduler;
}

export interface StartFxOptions {
  /** The store's spread, by store id (from the store policy). */
  readonly spreadBpsOf: (storeId: string) => Promise<number>;
  /**
   * Key quote tokens are signed with; at least 32 bytes. Default: random per process (tokens then verify
   * only in the process that signed them).
   */
  readonly quoteSigningKey?: string | Buffer;
}

/**
 * Starts the rate refresh (every configured source on its own timer, writing to Redis) and builds the rate
 * and quote services on the runtime's Redis and database; the scheduler stops with the lifecycle.
 */
export async function startFx(runtime: ServiceRuntime, options: StartFxOptions): Promise<FxComponents> {
  const { config } = runtime;
  const store = new RedisObservationStore(runtime.redis, 'coinstile:');
  const staticRates = config.fxStaticRates.length > 0 ? config.fxStaticRates : DEFAULT_DEMO_RATES;
  const sources = createRateSources({ names: config.fxSources as readonly RateSourceName[], staticRates });
  const scheduler = new RefreshScheduler({ sources, store, logger: runtime.logger });
  const rates = new RateService({ store, sources });
  const signer = new QuoteTokenSigner(options.quoteSigningKey ?? randomBytes(32));
  const quoteServiceWith = (repository: QuoteRepository): QuoteService =>
    new QuoteService({
      rates,
      repository,
      signer,
      rules: { rulesFor: async (storeId) => ({ spreadBps: await options.spreadBpsOf(storeId) }) },
      random: runtime.random,
    });
  const quotes = quoteServiceWith(new BatchingQuoteRepository(new KyselyQuoteRepository(runtime.db.kysely)));
  await scheduler.start();
  runtime.lifecycle.register(closeableComponent('fx-refresh', () => scheduler.stop()));
  return { rates, quotes, quoteServiceWith, scheduler };
}
