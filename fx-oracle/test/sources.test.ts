import {
  BinanceSource,
  BitstampSource,
  CoinbaseSource,
  CoinGeckoSource,
  EcbSource,
  KrakenSource,
  type RateSource,
  SourceError,
  type SourceErrorKind,
} from '@coinstile/fx-oracle';
import { FakeExchanges, fixture } from './support/fake-exchanges';

let exchanges: FakeExchanges;

beforeAll(async () => {
  exchanges = await FakeExchanges.start();
});
afterAll(async () => {
  await exchanges.stop();
});
afterEach(() => exchanges.reset());

const sources = (): Record<string, RateSource> => {
  const baseUrl = exchanges.baseUrl;
  return {
    coinbase: new CoinbaseSource({ baseUrl, timeoutMs: 300 }),
    kraken: new KrakenSource({ baseUrl, timeoutMs: 300 }),
    bitstamp: new BitstampSource({ baseUrl, timeoutMs: 300 }),
    binance: new BinanceSource({ baseUrl, timeoutMs: 300 }),
    coingecko: new CoinGeckoSource({ baseUrl, timeoutMs: 300 }),
    ecb: new EcbSource({ baseUrl, timeoutMs: 300 }),
  };
};

async function sourceError(source: RateSource): Promise<SourceError> {
  const outcome = await source.fetchLatest().then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a SourceError, got ${JSON.stringify(outcome.result)}`);
  expect(outcome.error).toBeInstanceOf(SourceError);
  return outcome.error as SourceError;
}

describe('rate source adapters against the exchanges’ documented formats', () => {
  it('Coinbase spot price', async () => {
    const { observations, rejected } = await sources()['coinbase']!.fetchLatest();
    expect(rejected).toEqual([]);
    expect(observations.map((o) => [`${o.pair.base}-${o.pair.quote}`, o.value, o.observedAtMs])).toEqual([
      ['BTC-USD', '60012.34', null],
      ['LTC-USD', '80.01', null],
      ['ETH-USD', '3000.1', null],
      ['USDC-USD', '1.0001', null],
    ]);
    expect(exchanges.requests).toContain('/v2/prices/BTC-USD/spot');
  });

  it('Kraken Ticker (XBT naming, legacy result keys)', async () => {
    const { observations } = await sources()['kraken']!.fetchLatest();
    expect(observations.map((o) => [`${o.pair.base}-${o.pair.quote}`, o.value])).toEqual([
      ['BTC-USD', '60010.1'],
      ['LTC-USD', '80.02'],
      ['ETH-USD', '3001.12'],
      ['USDC-USD', '1'],
    ]);
    expect(exchanges.requests).toEqual(['/0/public/Ticker?pair=XBTUSD,LTCUSD,ETHUSD,USDCUSD']);
  });

  it('Bitstamp ticker, with the exchange timestamp as observation time', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const { observations } = await sources()['bitstamp']!.fetchLatest();
    const btc = observations.find((o) => o.pair.base === 'BTC');
    expect(btc).toMatchObject({ value: '60005', pair: { quote: 'USD' } });
    expect(btc!.observedAtMs).toBeGreaterThanOrEqual(before);
  });

  it('Binance ticker price, quoted in USDT', async () => {
    const { observations } = await sources()['binance']!.fetchLatest();
    expect(observations[0]).toMatchObject({ pair: { base: 'BTC', quote: 'USDT' }, value: '60020.01', observedAtMs: null });
  });

  it('CoinGecko simple price (JSON numbers, last_updated_at)', async () => {
    const { observations } = await sources()['coingecko']!.fetchLatest();
    expect(observations).toHaveLength(12);
    expect(observations.find((o) => o.pair.base === 'BTC' && o.pair.quote === 'JPY')?.value).toBe('9001200');
    expect(observations.find((o) => o.pair.base === 'USDC' && o.pair.quote === 'USD')?.value).toBe('0.999912');
  });

  it('ECB daily reference rates XML (EUR-based)', async () => {
    const { observations } = await sources()['ecb']!.fetchLatest();
    expect(observations.find((o) => o.pair.quote === 'JPY')).toMatchObject({ pair: { base: 'EUR' }, value: '162' });
    expect(observations.find((o) => o.pair.quote === 'USD')?.value).toBe('1.08');
    const today = new Date().toISOString().slice(0, 10);
    expect(new Date(observations[0]!.observedAtMs!).toISOString()).toBe(`${today}T14:00:00.000Z`);
  });
});

/** [source, path prefix to break, canned answer, expected error kind] */
const failures: [string, string, { status?: number; body?: string; delayMs?: number }, SourceErrorKind][] = [
  ['coinbase', '/v2/prices/', { status: 503, body: '<html>Service Unavailable</html>' }, 'http_status'],
  ['coinbase', '/v2/prices/', { body: fixture('coinbase-error-not-found.json') }, 'error_body'],
  ['coinbase', '/v2/prices/', { body: '{"data":{"amount":' }, 'malformed'],
  ['coinbase', '/v2/prices/', { body: '{"data":{"base":"BTC","currency":"USD"}}' }, 'malformed'],
  ['coinbase', '/v2/prices/', { body: '{"data":{"amount":"0","base":"BTC","currency":"USD"}}' }, 'invalid_value'],
  ['coinbase', '/v2/prices/', { delayMs: 1_000 }, 'timeout'],
  ['kraken', '/0/public/Ticker', { body: fixture('kraken-error-unknown-pair.json') }, 'error_body'],
  ['kraken', '/0/public/Ticker', { status: 520, body: 'EService:Unavailable' }, 'http_status'],
  ['kraken', '/0/public/Ticker', { body: 'not json' }, 'malformed'],
  ['kraken', '/0/public/Ticker', { body: '{"error":[],"result":{}}' }, 'malformed'],
  ['kraken', '/0/public/Ticker', { delayMs: 1_000 }, 'timeout'],
  ['bitstamp', '/api/v2/ticker/', { body: '{"status":"error","reason":"Invalid currency pair"}' }, 'error_body'],
  ['bitstamp', '/api/v2/ticker/', { body: '{"last":"-5","timestamp":"1700000000"}' }, 'invalid_value'],
  ['bitstamp', '/api/v2/ticker/', { body: '{"last":"60000","timestamp":"yesterday"}' }, 'invalid_value'],
  ['bitstamp', '/api/v2/ticker/', { status: 500, body: '' }, 'http_status'],
  ['binance', '/api/v3/ticker/price', { body: fixture('binance-error-invalid-symbol.json') }, 'error_body'],
  ['binance', '/api/v3/ticker/price', { body: '{"symbol":"BTCUSDT","price":"NaN"}' }, 'invalid_value'],
  ['binance', '/api/v3/ticker/price', { body: '[]' }, 'malformed'],
  ['coingecko', '/api/v3/simple/price', { body: fixture('coingecko-error-rate-limit.json') }, 'error_body'],
  ['coingecko', '/api/v3/simple/price', { status: 429, body: fixture('coingecko-error-rate-limit.json') }, 'http_status'],
  ['coingecko', '/api/v3/simple/price', { body: '{}' }, 'malformed'],
  ['coingecko', '/api/v3/simple/price', { body: '{"bitcoin":{"usd":-1,"jpy":0,"eur":1e400,"last_updated_at":1700000000}}' }, 'invalid_value'],
  ['ecb', '/stats/', { body: '<html><body>Maintenance</body></html>' }, 'malformed'],
  ['ecb', '/stats/', { status: 502, body: 'Bad Gateway' }, 'http_status'],
  ['ecb', '/stats/', { delayMs: 1_000 }, 'timeout'],
];

describe.each(failures)('%s answering %s %j', (name, prefix, response, kind) => {
  it(`fails with a typed ${kind} SourceError, never a number`, async () => {
    exchanges.override(prefix, response);
    const error = await sourceError(sources()[name]!);
    expect(error.kind).toBe(kind);
    expect(error.source).toBe(name);
  });
});

describe('per-pair rejections', () => {
  it('keeps the good pairs of a source and reports the bad one', async () => {
    exchanges.override('/v2/prices/ETH-USD/spot', { body: '{"data":{"amount":"-3000","base":"ETH","currency":"USD"}}' });
    const { observations, rejected } = await sources()['coinbase']!.fetchLatest();
    expect(observations.map((o) => o.pair.base)).toEqual(['BTC', 'LTC', 'USDC']);
    expect(rejected.map((r) => r.kind)).toEqual(['invalid_value']);
  });

  it('rejects a CoinGecko coin with a zero price but keeps the others', async () => {
    const document = JSON.parse(fixture('coingecko-simple-price.json')) as Record<string, Record<string, number>>;
    document['litecoin']!['usd'] = 0;
    exchanges.override('/api/v3/simple/price', { body: JSON.stringify(document) });
    const { observations, rejected } = await sources()['coingecko']!.fetchLatest();
    expect(observations).toHaveLength(11);
    expect(rejected[0]?.message).toContain('litecoin.usd');
  });
});
