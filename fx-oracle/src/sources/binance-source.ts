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

const priceSchema = z.object({ symbol: z.string(), price: z.string() });
const errorSchema = z.object({ code: z.number(), msg: z.string() });

/** Binance quotes in USDT; aggregation treats USDT as USD. */
export const BINANCE_DEFAULT_PAIRS: readonly Pair[] = [
  { base: 'BTC', quote: 'USDT' },
  { base: 'LTC', quote: 'USDT' },
  { base: 'ETH', quote: 'USDT' },
  { base: 'USDC', quote: 'USDT' },
];

/**
 * Binance's symbol price ticker, `GET /api/v3/ticker/price?symbol=BTCUSDT` → `{"symbol":"BTCUSDT",
 * "price":"…"}`; errors are `{"code":-1121,"msg":"Invalid symbol."}`. No time in the answer.
 */
export class BinanceSource implements RateSource {
  readonly id = 'binance';
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
    const pairs = this.options.pairs ?? BINANCE_DEFAULT_PAIRS;
    return settlePairFetches(await Promise.allSettled(pairs.map((pair) => this.fetchPair(pair))));
  }

  private async fetchPair(pair: Pair): Promise<Observation> {
    const symbol = `${pair.base}${pair.quote}`;
    const document = await fetchJson(this.id, joinUrl(this.options.baseUrl, `/api/v3/ticker/price?symbol=${symbol}`), this.timeoutMs);
    const fetchedAtMs = this.now();
    const error = errorSchema.safeParse(document);
    if (error.success) throw new SourceError(this.id, 'error_body', `${error.data.code} ${error.data.msg}`);
    const ticker = parseWith(this.id, priceSchema, document, `ticker ${symbol}`);
    if (ticker.symbol !== symbol) throw new SourceError(this.id, 'malformed', `asked for ${symbol}, got ${ticker.symbol}`);
    const value = priceFromString(this.id, ticker.price, `${pairKey(pair)} price`);
    return { source: this.id, pair, value, observedAtMs: null, fetchedAtMs, demo: false };
  }
}
