import { randomBytes } from 'node:crypto';
import {
  BatchingQuoteRepository,
  configuredRateSources,
  KyselyQuoteRepository,
  OBSERVATION_KEY_PREFIX,
  type QuoteRepository,
  QuoteService,
  QuoteTokenSigner,
  RateService,
  type RateRules,
  RedisObservationStore,
  RedisRefreshLease,
  RefreshScheduler,
} from '@coinstile/fx-oracle';
import { closeableComponent, type ServiceRuntime } from '@coinstile/platform';

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
  /** A store's FX rules (spread, preferred and fallback sources), by store id, from its policy. */
  readonly rateRulesOf: (storeId: string) => Promise<RateRules>;
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
  const store = new RedisObservationStore(runtime.redis, OBSERVATION_KEY_PREFIX);
  const sources = configuredRateSources(runtime);
  // Every replica refreshes, taking turns through the lease: one fetch per source per interval fleet-wide.
  const scheduler = new RefreshScheduler({ sources, store, logger: runtime.logger, lease: new RedisRefreshLease(runtime.redis, OBSERVATION_KEY_PREFIX) });
  const rates = new RateService({ store, sources });
  const signer = new QuoteTokenSigner(options.quoteSigningKey ?? randomBytes(32));
  const quoteServiceWith = (repository: QuoteRepository): QuoteService =>
    new QuoteService({
      rates,
      repository,
      signer,
      rules: { rulesFor: (storeId) => options.rateRulesOf(storeId) },
      random: runtime.random,
    });
  const quotes = quoteServiceWith(new BatchingQuoteRepository(new KyselyQuoteRepository(runtime.db.kysely)));
  await scheduler.start();
  runtime.lifecycle.register(closeableComponent('fx-refresh', () => scheduler.stop()));
  return { rates, quotes, quoteServiceWith, scheduler };
}
