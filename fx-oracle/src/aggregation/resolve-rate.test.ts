import type { Observation } from '../observation';
import type { AggregatedRate, RateResolution } from './aggregated-rate';
import { type AggregationOptions, DEFAULT_AGGREGATION_OPTIONS } from './aggregation-options';
import { resolveRate } from './resolve-rate';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);

function obs(source: string, pair: string, value: string, ageMs = 1_000, extra: Partial<Observation> = {}): Observation {
  const [base = '', quote = ''] = pair.split('-');
  return { source, pair: { base, quote }, value, observedAtMs: NOW - ageMs, fetchedAtMs: NOW - ageMs, demo: false, ...extra };
}

function available(resolution: RateResolution): AggregatedRate {
  if (resolution.kind !== 'available') throw new Error(`expected a rate, got ${resolution.reason}: ${resolution.detail}`);
  return resolution.rate;
}

const options = (overrides: Partial<AggregationOptions> = {}): AggregationOptions => ({ ...DEFAULT_AGGREGATION_OPTIONS, ...overrides });

describe('resolveRate', () => {
  it('takes the median of agreeing sources and lists every value used', () => {
    const rate = available(
      resolveRate(
        [obs('coinbase', 'BTC-USD', '60000'), obs('kraken', 'BTC-USD', '60100'), obs('bitstamp', 'BTC-USD', '60050')],
        { base: 'BTC', quote: 'USD' },
        options(),
        NOW,
      ),
    );
    expect(rate.rate).toBe('60050');
    expect(rate.sources.map((s) => s.source).sort()).toEqual(['bitstamp', 'coinbase', 'kraken']);
    expect(rate.outliers).toEqual([]);
    expect(rate.demo).toBe(false);
    expect(rate.observedAtMs).toBe(NOW - 1_000);
  });

  it('averages the middle two of an even count', () => {
    const rate = available(resolveRate([obs('a', 'BTC-USD', '100'), obs('b', 'BTC-USD', '101')], { base: 'BTC', quote: 'USD' }, options(), NOW));
    expect(rate.rate).toBe('100.5');
  });

  it('drops a 1000× off value as an outlier and still quotes from the rest', () => {
    const rate = available(
      resolveRate(
        [obs('coinbase', 'BTC-USD', '60000'), obs('kraken', 'BTC-USD', '60000000'), obs('bitstamp', 'BTC-USD', '60020')],
        { base: 'BTC', quote: 'USD' },
        options(),
        NOW,
      ),
    );
    expect(rate.rate).toBe('60010');
    expect(rate.outliers.map((o) => o.source)).toEqual(['kraken']);
  });

  it('refuses two sources that disagree beyond the bound: no way to tell which is right', () => {
    const resolution = resolveRate([obs('a', 'BTC-USD', '60000'), obs('b', 'BTC-USD', '66000')], { base: 'BTC', quote: 'USD' }, options(), NOW);
    expect(resolution).toMatchObject({ kind: 'unavailable', reason: 'too_few_sources' });
  });

  it('needs the minimum number of sources', () => {
    const resolution = resolveRate([obs('coinbase', 'BTC-USD', '60000')], { base: 'BTC', quote: 'USD' }, options(), NOW);
    expect(resolution).toMatchObject({ kind: 'unavailable', reason: 'too_few_sources', pair: 'BTC-USD' });
    expect(available(resolveRate([obs('static', 'BTC-USD', '60000')], { base: 'BTC', quote: 'USD' }, options({ minSources: 1 }), NOW)).rate).toBe('60000');
  });

  it('never uses a stale value: exchange time counts, not when we fetched it', () => {
    const stale = obs('bitstamp', 'BTC-USD', '50000', 1_000, { observedAtMs: NOW - 61_000 });
    const resolution = resolveRate([obs('coinbase', 'BTC-USD', '60000'), stale], { base: 'BTC', quote: 'USD' }, options(), NOW);
    expect(resolution).toMatchObject({ kind: 'unavailable', reason: 'too_few_sources' });
    const none = resolveRate([obs('a', 'BTC-USD', '1', 120_000), obs('b', 'BTC-USD', '1', 61_000)], { base: 'BTC', quote: 'USD' }, options(), NOW);
    expect(none).toMatchObject({ kind: 'unavailable', reason: 'no_fresh_rates' });
    expect(available(resolveRate([obs('a', 'BTC-USD', '1', 61_000), obs('b', 'BTC-USD', '1', 61_000)], { base: 'BTC', quote: 'USD' }, options({ maxAgeMs: 62_000 }), NOW)).rate).toBe('1');
  });

  it('does not let an exchange clock running ahead keep a value fresh', () => {
    const ahead = obs('bitstamp', 'BTC-USD', '60000', 120_000, { observedAtMs: NOW + 86_400_000 });
    const resolution = resolveRate([ahead, obs('coinbase', 'BTC-USD', '60000')], { base: 'BTC', quote: 'USD' }, options(), NOW);
    expect(resolution).toMatchObject({ kind: 'unavailable', reason: 'too_few_sources' });
  });

  it('skips values that are not positive decimals', () => {
    const resolution = resolveRate([obs('a', 'BTC-USD', 'abc'), obs('b', 'BTC-USD', '0'), obs('c', 'BTC-USD', '1e5')], { base: 'BTC', quote: 'USD' }, options(), NOW);
    expect(resolution).toMatchObject({ kind: 'unavailable', reason: 'no_fresh_rates' });
  });

  it('counts USDT-quoted values as USD', () => {
    const rate = available(resolveRate([obs('coinbase', 'ETH-USD', '3000'), obs('binance', 'ETH-USDT', '3002')], { base: 'ETH', quote: 'USD' }, options(), NOW));
    expect(rate.rate).toBe('3001');
    expect(rate.sources.map((s) => s.pair).sort()).toEqual(['ETH-USD', 'ETH-USDT']);
  });

  it('crosses through USD with ECB EUR-based reference rates (JPY and EUR)', () => {
    const ecbAge = 20 * 60 * 60 * 1000;
    const observations = [
      obs('coinbase', 'BTC-USD', '60000'),
      obs('kraken', 'BTC-USD', '60000'),
      obs('ecb', 'EUR-USD', '1.08', ecbAge),
      obs('ecb', 'EUR-JPY', '162', ecbAge),
    ];
    const jpy = available(resolveRate(observations, { base: 'BTC', quote: 'JPY' }, options(), NOW));
    // USD-JPY = 162 / 1.08 = 150 exactly; BTC-JPY = 60000 × 150.
    expect(jpy.rate).toBe('9000000');
    expect(jpy.sources.map((s) => `${s.source}:${s.pair}`).sort()).toEqual(['coinbase:BTC-USD', 'ecb:EUR-JPY', 'ecb:EUR-USD', 'kraken:BTC-USD']);
    expect(jpy.observedAtMs).toBe(NOW - ecbAge);
    const eur = available(resolveRate(observations, { base: 'BTC', quote: 'EUR' }, options(), NOW));
    expect(eur.rate).toBe('55555.5555555556');
  });

  it('treats a fiat reference rate older than fiatMaxAgeMs as stale', () => {
    const old = 6 * 24 * 60 * 60 * 1000;
    const resolution = resolveRate(
      [obs('coinbase', 'BTC-USD', '60000'), obs('kraken', 'BTC-USD', '60000'), obs('ecb', 'EUR-USD', '1.08', old), obs('ecb', 'EUR-JPY', '162', old)],
      { base: 'BTC', quote: 'JPY' },
      options(),
      NOW,
    );
    expect(resolution).toMatchObject({ kind: 'unavailable', reason: 'no_fresh_rates' });
  });

  it('combines direct asset-fiat values with crossed ones, one per source', () => {
    const rate = available(
      resolveRate(
        [obs('coingecko', 'BTC-JPY', '9000300'), obs('coingecko', 'BTC-USD', '60000'), obs('kraken', 'BTC-USD', '60000'), obs('static', 'USD-JPY', '150')],
        { base: 'BTC', quote: 'JPY' },
        options(),
        NOW,
      ),
    );
    // coingecko's direct 9000300 and kraken's crossed 9000000.
    expect(rate.rate).toBe('9000150');
  });

  it('prices USDC at exactly 1 USD while pegged, and refuses it once depegged', () => {
    const pegged = available(resolveRate([obs('coinbase', 'USDC-USD', '0.9995'), obs('kraken', 'USDC-USD', '1.0001')], { base: 'USDC', quote: 'USD' }, options(), NOW));
    expect(pegged.rate).toBe('1');
    expect(pegged.sources.map((s) => s.source).sort()).toEqual(['coinbase', 'kraken']);
    const depegged = resolveRate([obs('coinbase', 'USDC-USD', '0.97'), obs('kraken', 'USDC-USD', '0.971')], { base: 'USDC', quote: 'USD' }, options(), NOW);
    expect(depegged).toMatchObject({ kind: 'unavailable', reason: 'depeg' });
    const unknownPeg = resolveRate([obs('coinbase', 'USDC-USD', '1')], { base: 'USDC', quote: 'USD' }, options(), NOW);
    expect(unknownPeg).toMatchObject({ kind: 'unavailable', reason: 'too_few_sources' });
  });

  it('counts USDC-quoted values as USD only while USDC is pegged', () => {
    const base = [obs('coinbase', 'BTC-USD', '60000'), obs('exchange', 'BTC-USDC', '60010')];
    const pegged = available(resolveRate([...base, obs('a', 'USDC-USD', '1'), obs('b', 'USDC-USD', '1.001')], { base: 'BTC', quote: 'USD' }, options(), NOW));
    expect(pegged.rate).toBe('60005');
    const depegged = resolveRate([...base, obs('a', 'USDC-USD', '0.95'), obs('b', 'USDC-USD', '0.95')], { base: 'BTC', quote: 'USD' }, options(), NOW);
    expect(depegged).toMatchObject({ kind: 'unavailable', reason: 'too_few_sources' });
  });

  it('ignores sources outside allowedSources and marks demo rates', () => {
    const observations = [obs('static', 'BTC-USD', '50000', 0, { demo: true }), obs('coinbase', 'BTC-USD', '60000')];
    const demo = available(resolveRate(observations, { base: 'BTC', quote: 'USD' }, options({ minSources: 1, allowedSources: new Set(['static']) }), NOW));
    expect(demo).toMatchObject({ rate: '50000', demo: true });
  });
});
