import { z } from 'zod';
import type { Observation } from '../observation';
import { fetchJson, joinUrl } from './http-fetch';
import { collectPerPair, parseWith, priceFromNumber, unixSecondsToMs } from './parse-value';
import {
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_SOURCE_TIMEOUT_MS,
  type HttpSourceOptions,
  type RateSource,
  type SourceFetchResult,
} from './rate-source';
import { SourceError } from './source-error';

/** CoinGecko coin ids of the assets Coinstile accepts. */
export const COINGECKO_DEFAULT_IDS: Readonly<Record<string, string>> = {
  BTC: 'bitcoin',
  LTC: 'litecoin',
  ETH: 'ethereum',
  USDC: 'usd-coin',
};
export const COINGECKO_DEFAULT_VS_CURRENCIES: readonly string[] = ['USD', 'JPY', 'EUR'];

const documentSchema = z.record(z.string(), z.unknown());
const coinSchema = z.record(z.string(), z.unknown());
/** CoinGecko's error shapes: `{"status":{"error_code":429,"error_message":…}}` and `{"error":…}`. */
const errorSchema = z.union([
  z.object({ status: z.object({ error_code: z.number(), error_message: z.string() }) }),
  z.object({ error: z.unknown() }),
]);

/**
 * CoinGecko's simple price, `GET /api/v3/simple/price?ids=bitcoin,…&vs_currencies=usd,jpy,eur&
 * include_last_updated_at=true` → `{"bitcoin":{"usd":60123.5,"jpy":…,"last_updated_at":1700000000},…}`.
 * Prices are JSON numbers; `last_updated_at` (unix seconds) is the observation time.
 */
export class CoinGeckoSource implements RateSource {
  readonly id = 'coingecko';
  readonly demo = false;
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly coinIds: Readonly<Record<string, string>>;
  private readonly vsCurrencies: readonly string[];

  constructor(
    private readonly options: HttpSourceOptions & {
      /** Asset code → CoinGecko coin id. */
      readonly coinIds?: Readonly<Record<string, string>>;
      readonly vsCurrencies?: readonly string[];
    },
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    this.coinIds = options.coinIds ?? COINGECKO_DEFAULT_IDS;
    this.vsCurrencies = options.vsCurrencies ?? COINGECKO_DEFAULT_VS_CURRENCIES;
  }

  async fetchLatest(): Promise<SourceFetchResult> {
    const ids = Object.values(this.coinIds).join(',');
    const vs = this.vsCurrencies.map((code) => code.toLowerCase()).join(',');
    const path = `/api/v3/simple/price?ids=${ids}&vs_currencies=${vs}&include_last_updated_at=true`;
    const document = await fetchJson(this.id, joinUrl(this.options.baseUrl, path), this.timeoutMs);
    const fetchedAtMs = this.now();
    if (errorSchema.safeParse(document).success) {
      throw new SourceError(this.id, 'error_body', JSON.stringify(document).slice(0, 200));
    }
    const coins = parseWith(this.id, documentSchema, document, 'simple price response');

    const observations: Observation[] = [];
    const rejected: SourceError[] = [];
    for (const [asset, coinId] of Object.entries(this.coinIds)) {
      const coin = collectPerPair(rejected, () => {
        if (!(coinId in coins)) throw new SourceError(this.id, 'malformed', `no prices for ${coinId}`);
        const prices = parseWith(this.id, coinSchema, coins[coinId], `prices of ${coinId}`);
        const updatedAt = prices['last_updated_at'];
        if (typeof updatedAt !== 'number') throw new SourceError(this.id, 'malformed', `${coinId} has no numeric last_updated_at`);
        return { prices, observedAtMs: unixSecondsToMs(this.id, updatedAt, `${coinId} last_updated_at`) };
      });
      if (!coin) continue;
      for (const quote of this.vsCurrencies) {
        const observation = collectPerPair(rejected, (): Observation => {
          const raw = coin.prices[quote.toLowerCase()];
          if (typeof raw !== 'number') throw new SourceError(this.id, 'malformed', `${coinId} has no numeric ${quote.toLowerCase()} price`);
          const value = priceFromNumber(this.id, raw, `${coinId}.${quote.toLowerCase()}`);
          return { source: this.id, pair: { base: asset, quote }, value, observedAtMs: coin.observedAtMs, fetchedAtMs, demo: false };
        });
        if (observation) observations.push(observation);
      }
    }
    if (observations.length === 0 && rejected[0]) throw rejected[0];
    return { observations, rejected };
  }
}
