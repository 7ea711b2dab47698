import { z } from 'zod';
import type { Observation } from '../observation';
import { type Pair, pairKey } from '../pair';
import { fetchJson, joinUrl } from './http-fetch';
import { collectPerPair, parseWith, priceFromString } from './parse-value';
import {
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_SOURCE_TIMEOUT_MS,
  type HttpSourceOptions,
  type RateSource,
  type SourceFetchResult,
} from './rate-source';
import { SourceError } from './source-error';

const tickerSchema = z.object({
  error: z.array(z.string()),
  result: z.record(z.string(), z.unknown()).optional(),
});
/** `c` is the last trade closed: `[price, lot volume]`. */
const tickerEntrySchema = z.object({ c: z.tuple([z.string(), z.string()]) });

export const KRAKEN_DEFAULT_PAIRS: readonly Pair[] = [
  { base: 'BTC', quote: 'USD' },
  { base: 'LTC', quote: 'USD' },
  { base: 'ETH', quote: 'USD' },
  { base: 'USDC', quote: 'USD' },
];

/** Assets Kraken names with its legacy X/Z-prefixed codes in result keys (XXBTZUSD, XETHZEUR, …). */
const LEGACY_CRYPTO = new Set(['XBT', 'LTC', 'ETH']);
const LEGACY_FIAT = new Set(['USD', 'EUR', 'JPY', 'GBP', 'CAD']);

/** Kraken's request name for a pair and the result keys it may answer under. */
export function krakenPairNames(pair: Pair): { query: string; resultKeys: string[] } {
  const base = pair.base === 'BTC' ? 'XBT' : pair.base;
  const query = `${base}${pair.quote}`;
  const keys = [query];
  if (LEGACY_CRYPTO.has(base) && LEGACY_FIAT.has(pair.quote)) keys.unshift(`X${base}Z${pair.quote}`);
  return { query, resultKeys: keys };
}

/**
 * Kraken's public Ticker, `GET /0/public/Ticker?pair=XBTUSD,…` →
 * `{"error":[],"result":{"XXBTZUSD":{"c":["price","volume"],…}}}`. Errors come as strings in `error`
 * ("EQuery:Unknown asset pair"), often with HTTP 200; Kraken calls bitcoin XBT. No time in the answer.
 */
export class KrakenSource implements RateSource {
  readonly id = 'kraken';
  readonly demo = false;
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HttpSourceOptions & { readonly pairs?: readonly Pair[] }) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  async fetchLatest(): Promise<SourceFetchResult> {
    const pairs = this.options.pairs ?? KRAKEN_DEFAULT_PAIRS;
    const query = pairs.map((pair) => krakenPairNames(pair).query).join(',');
    const document = await fetchJson(this.id, joinUrl(this.options.baseUrl, `/0/public/Ticker?pair=${query}`), this.timeoutMs);
    const fetchedAtMs = this.now();
    const ticker = parseWith(this.id, tickerSchema, document, 'Ticker response');
    // Entries starting with W are warnings; anything else means the result cannot be trusted.
    const errors = ticker.error.filter((message) => !message.startsWith('W'));
    if (errors.length > 0) throw new SourceError(this.id, 'error_body', errors.join('; '));
    const result = ticker.result;
    if (!result) throw new SourceError(this.id, 'malformed', 'Ticker response has no result');

    const observations: Observation[] = [];
    const rejected: SourceError[] = [];
    for (const pair of pairs) {
      const observation = collectPerPair(rejected, (): Observation => {
        const { resultKeys } = krakenPairNames(pair);
        const key = resultKeys.find((candidate) => candidate in result);
        if (key === undefined) throw new SourceError(this.id, 'malformed', `no ticker for ${pairKey(pair)} (${resultKeys.join('/')})`);
        const entry = parseWith(this.id, tickerEntrySchema, result[key], `ticker ${key}`);
        const value = priceFromString(this.id, entry.c[0], `${key} last trade`);
        return { source: this.id, pair, value, observedAtMs: null, fetchedAtMs, demo: false };
      });
      if (observation) observations.push(observation);
    }
    if (observations.length === 0 && rejected[0]) throw rejected[0];
    return { observations, rejected };
  }
}
