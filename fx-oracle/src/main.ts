import { closeableComponent, type FxStaticRate, type ServiceRuntime } from '@coinstile/platform';
import { RefreshScheduler } from './refresh/refresh-scheduler';
import { createRateSources, type RateSourceName } from './sources/create-rate-sources';
import type { RateSource } from './sources/rate-source';
import { RedisObservationStore } from './store/redis-observation-store';
import { RedisRefreshLease } from './store/redis-refresh-lease';

/**
 * Demo rates for the `static` source when `FX_STATIC_RATES` is unset (the embedded default), so a fresh
 * install can open checkouts. Everything priced from them is labelled "demo rates".
 */
export const DEMO_STATIC_RATES: readonly FxStaticRate[] = [
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
];

/** Where every Coinstile process reads and writes rate observations. */
export const OBSERVATION_KEY_PREFIX = 'coinstile:';

/** The configured sources (`FX_SOURCES`), with the demo rates when the static source has none configured. */
export function configuredRateSources(runtime: Pick<ServiceRuntime, 'config'>): RateSource[] {
  const { config } = runtime;
  const staticRates = config.fxStaticRates.length > 0 ? config.fxStaticRates : DEMO_STATIC_RATES;
  return createRateSources({ names: config.fxSources as readonly RateSourceName[], staticRates, baseUrls: config.fxSourceUrls });
}

/**
 * `coinstile fx`: refreshes every configured source on its own timer into Redis, where gateways read
 * them. Stopped by the runtime's lifecycle.
 */
export async function startFxRefresher(runtime: ServiceRuntime): Promise<RefreshScheduler> {
  const scheduler = new RefreshScheduler({
    sources: configuredRateSources(runtime),
    store: new RedisObservationStore(runtime.redis, OBSERVATION_KEY_PREFIX),
    logger: runtime.logger.child({ component: 'fx-refresh' }),
    lease: new RedisRefreshLease(runtime.redis, OBSERVATION_KEY_PREFIX),
  });
  await scheduler.start();
  runtime.lifecycle.register(closeableComponent('fx-refresh', () => scheduler.stop()));
  return scheduler;
}
