import { z } from 'zod';
import type { Observation } from '../observation';
import { type Pair, pairKey } from '../pair';
import { fetchJson, joinUrl } from './http-fetch';
import { settlePairFetches } from './settle-pair-fetches';
import { parseWith, priceFromString } from './parse-value';
import {
  DEFAULT_REFRESH_INTERVAL_MS,
  DEFAULT_SOURCE_TIMEOUT_MS,
  type HttpSourceOptions,
  type RateSource,
  type SourceFetchResult,
} from './rate-source';
import { SourceError } from './source-error';

const spotSchema = z.object({
  data: z.object({ amount: z.string(), base: z.string(), currency: z.string() }),
});
const errorSchema = z.object({ errors: z.array(z.object({ id: z.string().optional(), message: z.string() })).min(1) });

export const COINBASE_DEFAULT_PAIRS: readonly Pair[] = [
  { base: 'BTC', quote: 'USD' },
  { base: 'LTC', quote: 'USD' },
  { base: 'ETH', quote: 'USD' },
  { base: 'USDC', quote: 'USD' },
];

/**
 * Coinbase's public spot price, `GET /v2/prices/BTC-USD/spot` →
 * `{"data":{"amount":"…","base":"BTC","currency":"USD"}}`; one request per pair. The API gives no time,
 * so the observation's age counts from when we received it.
 */
export class CoinbaseSource implements RateSource {
  readonly id = 'coinbase';
  readonly demo = false;
  readonly refreshIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly options: HttpSourceOptions & { readonly pairs?: readonly Pair[] },
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SOURCE_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  async fetchLatest(): Promise<SourceFetchResult> {
    const pairs = this.options.pairs ?? COINBASE_DEFAULT_PAIRS;
    const settled = await Promise.allSettled(pairs.map((pair) => this.fetchPair(pair)));
    return settlePairFetches(settled);
  }

  private async fetchPair(pair: Pair): Promise<Observation> {
    const document = await fetchJson(this.id, joinUrl(this.options.baseUrl, `/v2/prices/${pairKey(pair)}/spot`), this.timeoutMs);
    const fetchedAtMs = this.now();
    const error = errorSchema.safeParse(document);
    if (error.success) {
      throw new SourceError(this.id, 'error_body', error.data.errors.map((e) => e.message).join('; '));
    }
    const { data } = parseWith(this.id, spotSchema, document, 'spot price');
    if (data.base !== pair.base || data.currency !== pair.quote) {
      throw new SourceError(this.id, 'malformed', `asked for ${pairKey(pair)}, got ${data.base}-${data.currency}`);
    }
    const value = priceFromString(this.id, data.amount, `${pairKey(pair)} amount`);
    return { source: this.id, pair, value, observedAtMs: null, fetchedAtMs, demo: false };
  }
}
