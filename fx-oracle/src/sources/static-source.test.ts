import { InvalidStaticRatesError, parseStaticRates, StaticSource } from './static-source';

describe('static demo source', () => {
  it('parses FX_STATIC_RATES and reports every value as demo, observed now', async () => {
    const rates = parseStaticRates(' BTC-USD=60000, usd-jpy = 150.5 ');
    expect(rates).toEqual([
      { pair: { base: 'BTC', quote: 'USD' }, value: '60000' },
      { pair: { base: 'USD', quote: 'JPY' }, value: '150.5' },
    ]);
    const result = await new StaticSource(rates, { now: () => 42 }).fetchLatest();
    expect(result.observations).toEqual([
      { source: 'static', pair: { base: 'BTC', quote: 'USD' }, value: '60000', observedAtMs: 42, fetchedAtMs: 42, demo: true },
      { source: 'static', pair: { base: 'USD', quote: 'JPY' }, value: '150.5', observedAtMs: 42, fetchedAtMs: 42, demo: true },
    ]);
  });

  it.each(['', 'BTC-USD', 'BTC-USD=0', 'BTC-USD=-1', 'BTC-USD=1e5', 'BTCUSD=1', 'BTC-USD=1,BTC-USD=2', 'BTC-USD=Infinity'])(
    'rejects %j',
    (text) => {
      expect(() => parseStaticRates(text)).toThrow(InvalidStaticRatesError);
    },
  );
});
