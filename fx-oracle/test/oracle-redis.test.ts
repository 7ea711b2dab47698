import { RatesUnavailableError } from '@coinstile/core';
import { startRedis, type RedisServer } from '@coinstile/testkit';
import { RedisRefreshLease } from '@coinstile/fx-oracle';
import { FakeExchanges, fixture } from './support/fake-exchanges';
import { type OracleInstance, startOracle, uniquePrefix } from './support/oracle';

let redis: RedisServer;
let exchanges: FakeExchanges;
const open: OracleInstance[] = [];

beforeAll(async () => {
  [redis, exchanges] = await Promise.all([startRedis(), FakeExchanges.start()]);
});
afterAll(async () => {
  await Promise.allSettled([redis?.stop(), exchanges?.stop()]);
});
afterEach(async () => {
  exchanges.reset();
  await Promise.all(open.splice(0).map((oracle) => oracle.close()));
});

function oracle(options: Partial<Parameters<typeof startOracle>[0]> = {}): OracleInstance {
  const instance = startOracle({ redisUrl: redis.url, keyPrefix: uniquePrefix(), baseUrl: exchanges.baseUrl, ...options });
  open.push(instance);
  return instance;
}

async function unavailable(promise: Promise<unknown>): Promise<RatesUnavailableError> {
  const error = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(RatesUnavailableError);
  const typed = error as RatesUnavailableError;
  expect(typed.httpStatus).toBe(503);
  expect(typed.code).toBe('rates_unavailable');
  return typed;
}

describe('fx-oracle with real Redis and the local exchanges', () => {
  it('aggregates agreeing sources, crosses JPY and EUR through the ECB, pegs USDC', async () => {
    const { scheduler, rates } = oracle();
    const outcomes = await scheduler.refreshAll();
    expect(outcomes.map((o) => o.kind)).toEqual(['refreshed', 'refreshed', 'refreshed', 'refreshed', 'refreshed', 'refreshed']);

    const btcUsd = await rates.rate({ base: 'BTC', quote: 'USD' });
    // coinbase 60012.34, kraken 60010.1, bitstamp 60005, binance 60020.01 (USDT), coingecko 60008: median.
    expect(btcUsd.rate).toBe('60010.1');
    expect(btcUsd.sources.map((s) => s.source).sort()).toEqual(['binance', 'bitstamp', 'coinbase', 'coingecko', 'kraken']);
    expect(btcUsd.demo).toBe(false);

    const btcJpy = await rates.rate({ base: 'BTC', quote: 'JPY' });
    // USD-JPY = 162 / 1.08 = 150. Crossed: 9000750 (bitstamp), 9001515 (kraken), 9001851 (coinbase),
    // 9003001.5 (binance); coingecko's direct 9001200 replaces its crossed value. Median: 9001515.
    expect(btcJpy.rate).toBe('9001515');
    expect(btcJpy.sources.some((s) => s.source === 'ecb' && s.pair === 'EUR-JPY')).toBe(true);

    const ethEur = await rates.rate({ base: 'ETH', quote: 'EUR' });
    expect(Number(ethEur.rate)).toBeCloseTo(3000.5 / 1.08, 0);

    expect((await rates.rate({ base: 'USDC', quote: 'USD' })).rate).toBe('1');
    expect((await rates.rate({ base: 'USDC', quote: 'JPY' })).rate).toBe('149.995');
  });

  it('keeps quoting with one source down, and drops a 1000× off value', async () => {
    const { scheduler, rates } = oracle({ names: ['coinbase', 'kraken', 'bitstamp', 'binance'] });
    exchanges.override('/v2/prices/', { status: 503, body: 'upstream down' });
    const ticker = JSON.parse(fixture('kraken-ticker.json')) as { result: Record<string, { c: string[] }> };
    ticker.result['XXBTZUSD']!.c = ['60010100.0', '0.1'];
    exchanges.override('/0/public/Ticker', { body: JSON.stringify(ticker) });
    const outcomes = await scheduler.refreshAll();
    expect(outcomes.map((o) => o.kind)).toEqual(['failed', 'refreshed', 'refreshed', 'refreshed']);

    const btc = await rates.rate({ base: 'BTC', quote: 'USD' });
    // bitstamp 60005 and binance 60020.01 agree; kraken's 60010100 is dropped; coinbase is down.
    expect(btc.rate).toBe('60012.505');
    expect(btc.outliers.map((o) => o.source)).toEqual(['kraken']);
    expect(btc.sources.map((s) => s.source).sort()).toEqual(['binance', 'bitstamp']);
    // LTC: kraken 80.02, bitstamp 80.01, binance 80.01.
    expect((await rates.rate({ base: 'LTC', quote: 'USD' })).rate).toBe('80.01');
  });

  it('answers 503 rates_unavailable when every source is down (5xx, timeouts, error bodies, garbage)', async () => {
    const { scheduler, rates } = oracle();
    exchanges.override('/v2/prices/', { status: 500, body: '' });
    exchanges.override('/0/public/Ticker', { body: fixture('kraken-error-unknown-pair.json') });
    exchanges.override('/api/v2/ticker/', { delayMs: 1_000 });
    exchanges.override('/api/v3/ticker/price', { body: '{"symbol":"BTCUSDT","price":"0"}' });
    exchanges.override('/api/v3/simple/price', { body: '<html>' });
    exchanges.override('/stats/', { status: 503, body: '' });
    const outcomes = await scheduler.refreshAll();
    expect(outcomes.map((o) => (o.kind === 'failed' ? o.error.kind : o.kind))).toEqual([
      'http_status',
      'error_body',
      'timeout',
      'invalid_value',
      'malformed',
      'http_status',
    ]);
    const error = await unavailable(rates.rate({ base: 'BTC', quote: 'USD' }));
    expect(error.details).toMatchObject({ pair: 'BTC-USD', reason: 'no_fresh_rates' });
  });

  it('never uses stale values: old exchange timestamps, and values that aged in Redis', async () => {
    let now = Date.now();
    const { scheduler, rates } = oracle({ names: ['bitstamp', 'coingecko', 'kraken'], now: () => now });
    exchanges.timestampAgeSeconds = 120;
    exchanges.override('/0/public/Ticker', { status: 503, body: '' });
    await scheduler.refreshAll();
    const stale = await unavailable(rates.rate({ base: 'BTC', quote: 'USD' }));
    expect(stale.details).toMatchObject({ reason: 'no_fresh_rates' });

    exchanges.reset();
    await scheduler.refreshAll();
    expect((await rates.rate({ base: 'BTC', quote: 'USD' })).rate).toBe('60008');
    now += 61_000;
    await unavailable(rates.rate({ base: 'BTC', quote: 'USD' }));
  });

  it('refuses USDC once it depegs beyond 1%', async () => {
    const { scheduler, rates } = oracle({ names: ['coinbase', 'kraken'] });
    exchanges.override('/v2/prices/USDC-USD/spot', { body: '{"data":{"amount":"0.9712","base":"USDC","currency":"USD"}}' });
    const ticker = JSON.parse(fixture('kraken-ticker.json')) as { result: Record<string, { c: string[] }> };
    ticker.result['USDCUSD']!.c = ['0.97100000', '10'];
    exchanges.override('/0/public/Ticker', { body: JSON.stringify(ticker) });
    await scheduler.refreshAll();
    const error = await unavailable(rates.rate({ base: 'USDC', quote: 'USD' }));
    expect(error.details).toMatchObject({ pair: 'USDC-USD', reason: 'depeg' });
    expect((await rates.rate({ base: 'BTC', quote: 'USD' })).rate).toBe('60011.22');
  });

  it('replicas sharing a refresh lease fetch each source once per interval between them, and all read the rates', async () => {
    const keyPrefix = uniquePrefix();
    // Generous timeouts: this test counts requests, and a loaded machine must not turn a refresh into a failure.
    const alone = oracle({ keyPrefix: uniquePrefix(), timeoutMs: 10_000 });
    await alone.scheduler.refreshAll();
    const requestsOfOneRefresh = [...exchanges.requests].sort();
    exchanges.reset();

    const replicas = [0, 1, 2].map(() => oracle({ keyPrefix, refreshIntervalMs: 1_000, timeoutMs: 10_000 }));
    // Each replica's lease client is its own connection, as in separate processes.
    const withLeases = replicas.map((r) => startOracle({ redisUrl: redis.url, keyPrefix, baseUrl: exchanges.baseUrl, refreshIntervalMs: 1_000, timeoutMs: 10_000, scheduler: { lease: new RedisRefreshLease(r.redis, keyPrefix) } }));
    open.push(...withLeases);
    const outcomes = (await Promise.all(withLeases.map((r) => r.scheduler.refreshAll()))).flat();
    expect(outcomes.filter((o) => o.kind === 'refreshed')).toHaveLength(6);
    expect(outcomes.filter((o) => o.kind === 'skipped_refreshed_elsewhere')).toHaveLength(12);
    expect([...exchanges.requests].sort()).toEqual(requestsOfOneRefresh);
    for (const replica of [...replicas, ...withLeases]) expect((await replica.rates.rate({ base: 'BTC', quote: 'USD' })).rate).toBe('60010.1');

    // The lease lapses before the next interval: the next round is fetched once again.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    exchanges.reset();
    const again = (await Promise.all(withLeases.map((r) => r.scheduler.refreshAll()))).flat();
    expect(again.filter((o) => o.kind === 'refreshed')).toHaveLength(6);
    expect([...exchanges.requests].sort()).toEqual(requestsOfOneRefresh);
  });

  it('opens a failing source’s breaker, half-opens it after the wait, closes it on success; the operator sees it', async () => {
    let now = Date.now();
    const { scheduler, rates } = oracle({ names: ['coinbase', 'kraken'], now: () => now, scheduler: { breaker: { failureThreshold: 2, openMs: 30_000 } } });
    exchanges.override('/v2/prices/', { status: 502, body: 'bad gateway' });
    const kinds = async () => (await scheduler.refreshAll()).map((o) => o.kind);
    expect(await kinds()).toEqual(['failed', 'refreshed']);
    expect(await kinds()).toEqual(['failed', 'refreshed']);
    expect(scheduler.breakerState('coinbase')).toMatchObject({ status: 'open', consecutiveFailures: 2 });
    const requestsWhileOpen = exchanges.requests.length;
    expect(await kinds()).toEqual(['skipped_breaker_open', 'refreshed']);
    expect(exchanges.requests.filter((r) => r.startsWith('/v2/')).length).toBe(
      exchanges.requests.slice(0, requestsWhileOpen).filter((r) => r.startsWith('/v2/')).length,
    );

    const statuses = await rates.sourceStatuses();
    expect(statuses.find((s) => s.source === 'coinbase')?.health).toMatchObject({
      breaker: { status: 'open' },
      lastError: { kind: 'http_status' },
    });

    now += 30_000;
    exchanges.reset();
    const trial = scheduler.refreshAll();
    expect(scheduler.breakerState('coinbase')?.status).toBe('half_open');
    expect((await trial).map((o) => o.kind)).toEqual(['refreshed', 'refreshed']);
    expect(scheduler.breakerState('coinbase')).toEqual({ status: 'closed', consecutiveFailures: 0 });
    const kraken = (await rates.sourceStatuses()).find((s) => s.source === 'kraken');
    expect(kraken?.values.find((v) => v.pair === 'BTC-USD')).toMatchObject({ value: '60010.1', fresh: true });
  });

  it('shares observations between two oracle instances through Redis', async () => {
    const keyPrefix = uniquePrefix();
    const writer = oracle({ keyPrefix, names: ['coinbase', 'kraken'] });
    const reader = oracle({ keyPrefix, names: ['coinbase', 'kraken'] });
    await unavailable(reader.rates.rate({ base: 'BTC', quote: 'USD' }));
    await writer.scheduler.refreshAll();
    const seenByReader = await reader.rates.rate({ base: 'BTC', quote: 'USD' });
    expect(seenByReader).toEqual(await writer.rates.rate({ base: 'BTC', quote: 'USD' }));
    expect(seenByReader.rate).toBe('60011.22');
    expect(await reader.redis.hkeys(`${keyPrefix}fx:obs:BTC-USD`)).toEqual(expect.arrayContaining(['coinbase', 'kraken']));
  });

  it('serves many rates from one read of Redis, yet refuses values that aged since that read', async () => {
    let now = Date.now();
    const { scheduler, rates } = oracle({ names: ['coinbase', 'kraken'], now: () => now, rates: { snapshotTtlMs: 600_000 } });
    await scheduler.refreshAll();
    expect((await rates.rate({ base: 'BTC', quote: 'USD' })).rate).toBe('60011.22');
    exchanges.override('/v2/prices/BTC-USD/spot', { body: '{"data":{"amount":"61000","base":"BTC","currency":"USD"}}' });
    await scheduler.refreshAll();
    // Still the snapshot read before the refresh.
    expect((await rates.rate({ base: 'BTC', quote: 'USD' })).rate).toBe('60011.22');
    now += 60_001;
    await unavailable(rates.rate({ base: 'BTC', quote: 'USD' }));
  });

  it('keeps the newer value when a slower refresh of another process writes an older one', async () => {
    const keyPrefix = uniquePrefix();
    const a = oracle({ keyPrefix, names: ['coinbase'] });
    const b = oracle({ keyPrefix, names: ['coinbase'] });
    const observation = (value: string, fetchedAtMs: number) => ({
      source: 'coinbase',
      pair: { base: 'BTC', quote: 'USD' },
      value,
      observedAtMs: null,
      fetchedAtMs,
      demo: false,
    });
    const t = Date.now();
    await a.store.saveObservations([observation('60100', t)]);
    await b.store.saveObservations([observation('59000', t - 5_000)]);
    expect((await b.store.loadObservations()).map((o) => o.value)).toEqual(['60100']);
    await b.store.saveObservations([observation('60200', t + 1)]);
    expect((await a.store.loadObservations()).map((o) => o.value)).toEqual(['60200']);
  });

  it('prices from the demo source alone, labelled demo', async () => {
    const { scheduler, rates } = oracle({ names: ['static'], staticRates: [{ base: 'BTC', quote: 'USD', rate: '60000' }, { base: 'USD', quote: 'JPY', rate: '150' }] });
    await scheduler.refreshAll();
    expect(await rates.rate({ base: 'BTC', quote: 'JPY' })).toMatchObject({ rate: '9000000', demo: true });
  });

  it('applies preferred sources first and falls back when they give no rate', async () => {
    const { scheduler, rates } = oracle({ names: ['coinbase', 'kraken', 'bitstamp'] });
    exchanges.override('/v2/prices/', { status: 503, body: '' });
    await scheduler.refreshAll();
    await unavailable(rates.rate({ base: 'BTC', quote: 'USD' }, { spreadBps: 0, preferredSources: ['coinbase', 'kraken'] }));
    const withFallback = await rates.rate({ base: 'BTC', quote: 'USD' }, { spreadBps: 0, preferredSources: ['coinbase', 'kraken'], fallbackSources: ['bitstamp'] });
    expect(withFallback.sources.map((s) => s.source).sort()).toEqual(['bitstamp', 'kraken']);
  });

  it('refreshes each source on its own jittered timer once started, and stops', async () => {
    const { scheduler, rates } = oracle({ names: ['coinbase', 'kraken'], refreshIntervalMs: 40, scheduler: { jitterRatio: 0.5 } });
    await scheduler.start();
    expect((await rates.rate({ base: 'BTC', quote: 'USD' })).rate).toBe('60011.22');
    const krakenCalls = () => exchanges.requests.filter((r) => r.startsWith('/0/public/Ticker')).length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(krakenCalls()).toBeGreaterThanOrEqual(4);
    await scheduler.stop();
    const afterStop = krakenCalls();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(krakenCalls()).toBe(afterStop);
  });
});
