import { parsePositiveDecimal } from '../fx-decimal';
import type { Observation } from '../observation';
import { type Pair, pairKey, parsePairKey } from '../pair';
import { DEFAULT_REFRESH_INTERVAL_MS, type RateSource, type SourceFetchResult } from './rate-source';

/** `FX_STATIC_RATES` could not be read. */
export class InvalidStaticRatesError extends Error {
  constructor(message: string) {
    super(`FX_STATIC_RATES: ${message}`);
    this.name = 'InvalidStaticRatesError';
  }
}

export interface StaticRate {
  readonly pair: Pair;
  readonly value: string;
}

/** Parses `BTC-USD=60000,LTC-USD=80,USD-JPY=150` (whitespace allowed); each value positive. */
export function parseStaticRates(text: string): StaticRate[] {
  const rates: StaticRate[] = [];
  const seen = new Set<string>();
  for (const entry of text.split(',').map((part) => part.trim()).filter((part) => part.length > 0)) {
    const [name, raw, ...rest] = entry.split('=').map((part) => part.trim());
    if (name === undefined || raw === undefined || rest.length > 0) throw new InvalidStaticRatesError(`"${entry}" is not PAIR=RATE`);
    let pair: Pair;
    try {
      pair = parsePairKey(name);
    } catch {
      throw new InvalidStaticRatesError(`"${name}" is not a pair like BTC-USD`);
    }
    const value = parsePositiveDecimal(raw);
    if (!value) throw new InvalidStaticRatesError(`rate of ${name} must be a positive decimal, got "${raw}"`);
    if (seen.has(pairKey(pair))) throw new InvalidStaticRatesError(`${pairKey(pair)} is given twice`);
    seen.add(pairKey(pair));
    rates.push({ pair, value: value.toString() });
  }
  if (rates.length === 0) throw new InvalidStaticRatesError('no rates given');
  return rates;
}

/**
 * The demo source: fixed rates from `FX_STATIC_RATES`, observed "now" on every refresh. Labelled
 * `demo: true` so every rate and quote derived from it says "demo rates"; never a market price.
 */
export class StaticSource implements RateSource {
  readonly id = 'static';
  readonly demo = true;
  readonly refreshIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly rates: readonly StaticRate[],
    options: { readonly refreshIntervalMs?: number; readonly now?: () => number } = {},
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  fetchLatest(): Promise<SourceFetchResult> {
    const nowMs = this.now();
    const observations = this.rates.map(
      (rate): Observation => ({ source: this.id, pair: rate.pair, value: rate.value, observedAtMs: nowMs, fetchedAtMs: nowMs, demo: true }),
    );
    return Promise.resolve({ observations, rejected: [] });
  }
}
