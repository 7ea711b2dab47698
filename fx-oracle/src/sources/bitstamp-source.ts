import { z } from 'zod';
import type { Observation } from '../observation';
import { type Pair, pairKey } from '../pair';
import { fetchJson, joinUrl } from './http-fetch';
import { settlePairFetches } from './settle-pair-fetches';
import { parseWith, priceFromString, unixSecondsToMs } from './parse-value';
import {
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_SOURCE_TIMEOUT_MS,
  type HttpSourceOptions,
  type RateSource,
  type SourceFetchResult,
} from './rate-source';
import { SourceError } from './source-error';

const tickerSchema = z.object({ last: z.string(), timestamp: z.string() });
/** Bitstamp's error shapes: `{"status":"error","reason":…}` and `{"code":…,"errors":[…]}`. */
const errorSchema = z.union([
  z.object({ status: z.literal('error'), reason: z.unknown() }),
  z.object({ errors: z.array(z.unknown()).min(1) }),
]);

export const BITSTAMP_DEFAULT_PAIRS: readonly Pair[] = [
  { base: 'BTC', quote: 'USD' },
  { base: 'LTC', quote: 'USD' },
  { base: 'ETH', quote: 'USD' },
  { base: 'USDC', quote: 'USD' },
];

/**
 * Bitstamp's ticker, `GET /api/v2/ticker/btcusd/` → `{"last":"…","timestamp":"1700000000",…}` (strings;
 * the timestamp is unix seconds and becomes the observation time). One request per pair.
 */
export class BitstampSource implements RateSource {
  readonly id = 'bitstamp';
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
    const pairs = this.options.pairs ?? BITSTAMP_DEFAULT_PAIRS;
    return settlePairFetches(await Promise.allSettled(pairs.map((pair) => this.fetchPair(pair))));
  }

  private async fetchPair(pair: Pair): Promise<Observation> {
    const market = `${pair.base}${pair.quote}`.toLowerCase();
    const document = await fetchJson(this.id, joinUrl(this.options.baseUrl, `/api/v2/ticker/${market}/`), this.timeoutMs);
    const fetchedAtMs = this.now();
    if (errorSchema.safeParse(document).success) {
      throw new SourceError(this.id, 'error_body', `error for ${market}: ${JSON.stringify(document).slice(0, 200)}`);
    }
    const ticker = parseWith(this.id, tickerSchema, document, `ticker ${market}`);
    const value = priceFromString(this.id, ticker.last, `${pairKey(pair)} last`);
    const observedAtMs = unixSecondsToMs(this.id, ticker.timestamp, `${pairKey(pair)} timestamp`);
    return { source: this.id, pair, value, observedAtMs, fetchedAtMs, demo: false };
  }
}
