import { BinanceSource } from './binance-source';
import { BitstampSource } from './bitstamp-source';
import { CoinbaseSource } from './coinbase-source';
import { CoinGeckoSource } from './coingecko-source';
import { EcbSource } from './ecb-source';
import { KrakenSource } from './kraken-source';
import type { RateSource } from './rate-source';
import { StaticSource } from './static-source';

/** The source names `FX_SOURCES` accepts. */
export type RateSourceName = 'static' | 'coinbase' | 'kraken' | 'bitstamp' | 'binance' | 'coingecko' | 'ecb';

/** The public API roots of each exchange; override per source (tests point them at a local server). */
export const DEFAULT_SOURCE_BASE_URLS: Readonly<Record<Exclude<RateSourceName, 'static'>, string>> = {
  coinbase: 'https://api.coinbase.com',
  kraken: 'https://api.kraken.com',
  bitstamp: 'https://www.bitstamp.net',
  binance: 'https://api.binance.com',
  coingecko: 'https://api.coingecko.com',
  ecb: 'https://www.ecb.europa.eu',
};

export interface CreateRateSourcesOptions {
  /** `FX_SOURCES`, in order. */
  readonly names: readonly RateSourceName[];
  /** `FX_STATIC_RATES`, as the platform config parses it. */
  readonly staticRates?: readonly { readonly base: string; readonly quote: string; readonly rate: string }[];
  readonly baseUrls?: Partial<Record<Exclude<RateSourceName, 'static'>, string>>;
  readonly timeoutMs?: number;
  readonly refreshIntervalMs?: number;
  readonly now?: () => number;
}

/** One adapter per configured source name. */
export function createRateSources(options: CreateRateSourcesOptions): RateSource[] {
  const urls = { ...DEFAULT_SOURCE_BASE_URLS, ...options.baseUrls };
  const common = {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.refreshIntervalMs !== undefined ? { refreshIntervalMs: options.refreshIntervalMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  return [...new Set(options.names)].map((name): RateSource => {
    switch (name) {
      case 'static': {
        const rates = (options.staticRates ?? []).map((rate) => ({ pair: { base: rate.base, quote: rate.quote }, value: rate.rate }));
        if (rates.length === 0) throw new Error('FX_SOURCES includes static but FX_STATIC_RATES is empty');
        return new StaticSource(rates, common);
      }
      case 'coinbase':
        return new CoinbaseSource({ baseUrl: urls.coinbase, ...common });
      case 'kraken':
        return new KrakenSource({ baseUrl: urls.kraken, ...common });
      case 'bitstamp':
        return new BitstampSource({ baseUrl: urls.bitstamp, ...common });
      case 'binance':
        return new BinanceSource({ baseUrl: urls.binance, ...common });
      case 'coingecko':
        return new CoinGeckoSource({ baseUrl: urls.coingecko, ...common });
      case 'ecb':
        // The ECB publishes daily: it keeps its own hourly interval unless one is configured.
        return new EcbSource({ baseUrl: urls.ecb, ...common });
    }
  });
}
