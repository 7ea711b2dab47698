/**
 * Quote creation throughput, in-process (goal ≥ 20,000 quotes/s):
 *  0. aggregation alone: ten fresh values from six sources into BTC-JPY (crossed through the ECB);
 *  1. the pure pricing path, everything `lock` does but the INSERT: the rate (aggregated once per Redis
 *     snapshot, memoized while its values stay fresh), the spread, the amount due (rounded up), the id
 *     and the signed token;
 *  2. `QuoteService.lock` with persistence on PGlite (embedded), rates read from a real redis-server,
 *     one INSERT per quote and with group commit (`BatchingQuoteRepository`);
 *  3. the same on a real PostgreSQL server (pool of 20).
 * 64 locks are in flight at a time.
 * Run: `npm run bench -w fx-oracle` (builds first) or `npx ts-node --transpile-only bench/fx-quotes.ts`
 * after `npx tsc -b fx-oracle testkit`. `FX_BENCH_SECONDS` sets each phase's duration (default 3).
 */
import { randomBytes } from 'node:crypto';
import { type CryptoAsset, ID_RANDOM_BYTES, makeId, parseFiatCurrency } from '@coinstile/core';
import {
  BatchingQuoteRepository,
  DEFAULT_AGGREGATION_OPTIONS,
  fixedRateRules,
  KyselyQuoteRepository,
  type Observation,
  priceQuote,
  QuoteService,
  QuoteTokenSigner,
  RateService,
  RedisObservationStore,
  resolveRate,
} from '@coinstile/fx-oracle';
import { cryptoRandomSource, type Database, migrateToLatest, openDatabase } from '@coinstile/platform';
import { startPostgres, startRedis } from '@coinstile/testkit';
import { Redis } from 'ioredis';

const SECONDS = Number(process.env['FX_BENCH_SECONDS'] ?? 3);
const CONCURRENCY = 64;
const SIGNER = new QuoteTokenSigner('bench-quote-signing-key-0123456789abcdef');
const BENCH_SOURCES = ['coinbase', 'kraken', 'bitstamp', 'binance', 'coingecko', 'ecb'].map((id) => ({ id, demo: false }));

function observations(nowMs: number): Observation[] {
  const o = (source: string, pair: string, value: string, observedAtMs: number | null = null): Observation => {
    const [base = '', quote = ''] = pair.split('-');
    return { source, pair: { base, quote }, value, observedAtMs, fetchedAtMs: nowMs - 1_000, demo: false };
  };
  return [
    o('coinbase', 'BTC-USD', '60012.34'),
    o('kraken', 'BTC-USD', '60010.1'),
    o('bitstamp', 'BTC-USD', '60005', nowMs - 2_000),
    o('binance', 'BTC-USDT', '60020.01'),
    o('coingecko', 'BTC-USD', '60008', nowMs - 5_000),
    o('coingecko', 'BTC-JPY', '9001200', nowMs - 5_000),
    o('ecb', 'EUR-USD', '1.08', nowMs - 3_600_000),
    o('ecb', 'EUR-JPY', '162', nowMs - 3_600_000),
    o('coinbase', 'USDC-USD', '1.0001'),
    o('kraken', 'USDC-USD', '1'),
  ];
}

async function measure(label: string, run: () => Promise<void>, concurrency: number): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await run();
        done += 1;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = Math.round(done / seconds);
  console.log(`${label.padEnd(52)} ${String(perSecond).padStart(9)} quotes/s  (${done} in ${seconds.toFixed(2)} s)`);
  return perSecond;
}

function aggregationOnly(): Promise<number> {
  const nowMs = Date.now();
  const obs = observations(nowMs);
  return measure(
    'aggregation alone (10 values -> BTC-JPY via ECB)',
    () => {
      const resolution = resolveRate(obs, { base: 'BTC', quote: 'JPY' }, DEFAULT_AGGREGATION_OPTIONS, nowMs);
      if (resolution.kind !== 'available') throw new Error(resolution.detail);
      return Promise.resolve();
    },
    1,
  );
}

/** Everything `QuoteService.lock` does except the INSERT: memoized rate, spread, round-up, id, token. */
async function purePricing(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl);
  const store = new RedisObservationStore(redis, `bench-pure-${Date.now()}:`);
  await store.saveObservations(observations(Date.now()));
  const rates = new RateService({ store, sources: BENCH_SOURCES });
  const random = cryptoRandomSource;
  const jpy = parseFiatCurrency('JPY');
  let price = 1000n;
  try {
    return await measure(
      'pure pricing (rate + spread + round-up + id + sign)',
      async () => {
        const market = await rates.rate({ base: 'BTC', quote: 'JPY' });
        price += 1n;
        const priced = priceQuote({ asset: 'BTC', currency: jpy, priceMinor: price, marketRate: market.rate, spreadBps: 100 });
        const created = Date.now();
        SIGNER.sign({
          id: makeId('qt', created, random.bytes(ID_RANDOM_BYTES)),
          storeId: 'st_bench',
          asset: 'BTC',
          currency: jpy,
          priceMinor: price,
          amountDueBase: priced.amountDueBase,
          rate: priced.rate,
          marketRate: market.rate,
          spreadBps: 100,
          sources: market.sources,
          demo: false,
          createdAt: new Date(created),
          expiresAt: new Date(created + 900_000),
        });
      },
      1,
    );
  } finally {
    redis.disconnect();
  }
}

async function lockWithPersistence(label: string, db: Database, redisUrl: string, batched: boolean): Promise<number> {
  const storeId = makeId('st', Date.now(), randomBytes(10));
  await db.kysely
    .insertInto('stores')
    .values({ id: storeId, name: 'Bench Store', payout_currency: 'JPY', payout_account: JSON.stringify({ iban: 'DE89370400440532013000' }) })
    .execute();
  const redis = new Redis(redisUrl);
  const store = new RedisObservationStore(redis, `bench-${storeId}:`);
  const rates = new RateService({ store, sources: BENCH_SOURCES });
  const quotes = new QuoteService({
    rates,
    repository: batched ? new BatchingQuoteRepository(new KyselyQuoteRepository(db.kysely)) : new KyselyQuoteRepository(db.kysely),
    signer: SIGNER,
    rules: fixedRateRules({ spreadBps: 100 }),
  });
  const assets: CryptoAsset[] = ['BTC', 'LTC', 'ETH', 'USDC'];
  let n = 0;
  // Observations are refreshed during the run as the scheduler would, so none goes stale.
  const refresher = setInterval(() => void store.saveObservations(observations(Date.now())), 500);
  await store.saveObservations(observations(Date.now()));
  try {
    return await measure(
      label,
      async () => {
        n += 1;
        const asset = assets[n % 2 === 0 ? 0 : 3] as CryptoAsset;
        await quotes.lock({ storeId, asset, currency: asset === 'BTC' ? 'JPY' : 'USD', priceMinor: BigInt(1000 + n) });
      },
      CONCURRENCY,
    );
  } finally {
    clearInterval(refresher);
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  console.log(`fx-quotes benchmark: ${SECONDS} s per phase, node ${process.version}`);
  await aggregationOnly();
  const [redis, postgres] = await Promise.all([startRedis({ appendfsync: 'everysec' }), startPostgres()]);
  try {
    await purePricing(redis.url);
    const pglite = await openDatabase();
    try {
      await migrateToLatest(pglite);
      await lockWithPersistence('lock + persist, PGlite, one INSERT per quote', pglite, redis.url, false);
      await lockWithPersistence('lock + persist, PGlite, group commit', pglite, redis.url, true);
    } finally {
      await pglite.close();
    }
    const pg = await openDatabase({ url: await postgres.createDatabase(), poolSize: 20 });
    try {
      await migrateToLatest(pg);
      await lockWithPersistence('lock + persist, PostgreSQL, one INSERT per quote', pg, redis.url, false);
      await lockWithPersistence('lock + persist, PostgreSQL, group commit', pg, redis.url, true);
    } finally {
      await pg.close();
    }
  } finally {
    await Promise.allSettled([redis.stop(), postgres.stop()]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
