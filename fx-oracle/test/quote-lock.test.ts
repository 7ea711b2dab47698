import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  cryptoDueForFiat,
  fiatValueOfCrypto,
  httpStatusOf,
  makeId,
  parseFiatCurrency,
  RatesUnavailableError,
  toErrorBody,
  ValidationError,
} from '@coinstile/core';
import {
  BatchingQuoteRepository,
  createFxRouter,
  fixedRateRules,
  KyselyQuoteRepository,
  QuoteService,
  QuoteTokenSigner,
} from '@coinstile/fx-oracle';
import { type Database, migrateToLatest, openDatabase } from '@coinstile/platform';
import { type PostgresServer, type RedisServer, startPostgres, startRedis } from '@coinstile/testkit';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { FakeExchanges } from './support/fake-exchanges';
import { type OracleInstance, startOracle, uniquePrefix } from './support/oracle';

let redis: RedisServer;
let postgres: PostgresServer;
let exchanges: FakeExchanges;

beforeAll(async () => {
  [redis, postgres, exchanges] = await Promise.all([startRedis(), startPostgres(), FakeExchanges.start()]);
}, 120_000);
afterAll(async () => {
  await Promise.allSettled([redis?.stop(), postgres?.stop(), exchanges?.stop()]);
});

const SIGNING_KEY = 'test-quote-signing-key-0123456789abcdef';

describe.each(['postgres', 'pglite'] as const)('quote lock persisted in %s', (engine) => {
  let db: Database;
  let oracle: OracleInstance;
  let quotes: QuoteService;
  let now: number;
  let storeId: string;

  beforeAll(async () => {
    db = engine === 'postgres' ? await openDatabase({ url: await postgres.createDatabase() }) : await openDatabase();
    await migrateToLatest(db);
    storeId = makeId('st', Date.now(), randomBytes(10));
    await db.kysely
      .insertInto('stores')
      .values({ id: storeId, name: 'Kobe Tea House', payout_currency: 'JPY', payout_account: JSON.stringify({ iban: 'DE89370400440532013000' }) })
      .execute();
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  beforeEach(async () => {
    now = Date.now();
    // These tests are about quotes, not slow sources: a loaded machine must not time the sources out.
    oracle = startOracle({ redisUrl: redis.url, keyPrefix: uniquePrefix(), baseUrl: exchanges.baseUrl, names: ['coinbase', 'kraken', 'ecb'], now: () => now, timeoutMs: 10_000 });
    expect((await oracle.scheduler.refreshAll()).map((o) => o.kind)).toEqual(['refreshed', 'refreshed', 'refreshed']);
    quotes = new QuoteService({
      rates: oracle.rates,
      repository: new KyselyQuoteRepository(db.kysely),
      signer: new QuoteTokenSigner(SIGNING_KEY),
      rules: fixedRateRules({ spreadBps: 100 }),
      now: () => now,
    });
  });
  afterEach(async () => {
    exchanges.reset();
    await oracle.close();
  });

  it('locks a quote: spread applied, amount rounded up, every source value stored, token signed', async () => {
    const quote = await quotes.lock({ storeId, asset: 'BTC', currency: 'JPY', priceMinor: 4980n, ttlMs: 15 * 60_000 });
    expect(quote.id).toMatch(/^qt_[0-9A-Z]{26}$/);
    expect(quote.status).toBe('active');
    // Market: median of 60012.34 and 60010.1 = 60011.22 USD × 150 JPY/USD; 1% spread, rounded down.
    expect(quote.marketRate).toBe('9001683');
    expect(quote.rate).toBe('8911666.17');
    const jpy = parseFiatCurrency('JPY');
    expect(quote.amountDueBase).toBe(cryptoDueForFiat(4980n, jpy, 'BTC', quote.rate));
    expect(fiatValueOfCrypto(quote.amountDueBase, 'BTC', jpy, quote.rate)).toBeGreaterThanOrEqual(4980n);
    expect(quote.sources.map((s) => `${s.source}:${s.pair}`).sort()).toEqual(['coinbase:BTC-USD', 'ecb:EUR-JPY', 'ecb:EUR-USD', 'kraken:BTC-USD']);
    expect(quote.expiresAt.getTime() - quote.createdAt.getTime()).toBe(15 * 60_000);
    expect(quotes.verifyToken(quote.token)).toMatchObject({ id: quote.id, amountDueBase: quote.amountDueBase.toString(), rate: quote.rate });

    const row = await db.kysely.selectFrom('quotes').selectAll().where('id', '=', quote.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      store_id: storeId,
      base_asset: 'BTC',
      quote_currency: 'JPY',
      rate: '8911666.17',
      spread_bps: 100,
      amount_due_base: quote.amountDueBase.toString(),
      price_minor: '4980',
    });
    expect(row.expires_at.getTime()).toBe(quote.expiresAt.getTime());

    const { status, ...stored } = await quotes.get(quote.id);
    const { status: lockedStatus, ...locked } = quote;
    expect(stored).toEqual(locked);
    expect(status).toBe(lockedStatus);
  });

  it('locks a quote without a token for callers that show it to no one: the same quote, stored the same way', async () => {
    const unsigned = await quotes.lockUnsigned({ storeId, asset: 'BTC', currency: 'JPY', priceMinor: 4980n, ttlMs: 15 * 60_000 });
    expect(unsigned).not.toHaveProperty('token');
    expect(unsigned.rate).toBe('8911666.17');
    expect(unsigned.amountDueBase).toBe(cryptoDueForFiat(4980n, parseFiatCurrency('JPY'), 'BTC', unsigned.rate));
    // Read back, it is a quote like any other, and gets its token then.
    const { status, token, ...stored } = await quotes.get(unsigned.id);
    expect(stored).toEqual(unsigned);
    expect(status).toBe('active');
    expect(quotes.verifyToken(token)).toMatchObject({ id: unsigned.id, amountDueBase: unsigned.amountDueBase.toString() });
  });

  it('re-quotes an expired quote at the current rate instead of honouring it', async () => {
    const first = await quotes.lock({ storeId, asset: 'ETH', currency: 'USD', priceMinor: 1_999n, ttlMs: 60_000 });
    expect((await quotes.current(first.id)).replacesQuoteId).toBeNull();

    now += 60_000;
    expect((await quotes.get(first.id)).status).toBe('expired');
    exchanges.override('/v2/prices/ETH-USD/spot', { body: '{"data":{"amount":"3100.00","base":"ETH","currency":"USD"}}' });
    const ticker = JSON.parse((await (await fetch(`${exchanges.baseUrl}/0/public/Ticker`)).text()) as string) as { result: Record<string, { c: string[] }> };
    ticker.result['XETHZUSD']!.c = ['3100.00', '1'];
    exchanges.override('/0/public/Ticker', { body: JSON.stringify(ticker) });
    await oracle.scheduler.refreshAll();

    const { quote: second, replacesQuoteId } = await quotes.current(first.id);
    expect(replacesQuoteId).toBe(first.id);
    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe('active');
    expect(second.marketRate).toBe('3100');
    expect(second.amountDueBase).toBeLessThan(first.amountDueBase);
    expect(second.expiresAt.getTime()).toBe(now + 60_000);
    expect(await db.kysely.selectFrom('quotes').select('id').where('id', 'in', [first.id, second.id]).execute()).toHaveLength(2);
  });

  it('fails with 503 rates_unavailable and persists nothing when rates are stale', async () => {
    now += 61_000;
    const count = async () => Number((await db.kysely.selectFrom('quotes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    await expect(quotes.lock({ storeId, asset: 'BTC', currency: 'USD', priceMinor: 100n })).rejects.toBeInstanceOf(RatesUnavailableError);
    expect(await count()).toBe(before);
  });

  it('group-commits concurrent locks; a bad row in a batch fails only its own caller', async () => {
    const batched = new QuoteService({
      rates: oracle.rates,
      repository: new BatchingQuoteRepository(new KyselyQuoteRepository(db.kysely)),
      signer: new QuoteTokenSigner(SIGNING_KEY),
      now: () => now,
    });
    const unknownStore = makeId('st', now, randomBytes(10));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 120 }, (_, i) =>
        batched.lock({ storeId: i === 57 ? unknownStore : storeId, asset: 'BTC', currency: 'USD', priceMinor: BigInt(100 + i) }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    expect(outcomes[57]?.status).toBe('rejected');
    const locked = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.id] : []));
    expect(await db.kysely.selectFrom('quotes').select('id').where('id', 'in', locked).execute()).toHaveLength(119);
    expect((await batched.get(locked[0]!)).priceMinor).toBe(100n);
  });

  it.each([
    [{ asset: 'DOGE' }, 'invalid_asset'],
    [{ currency: 'jpy' }, 'invalid_currency'],
    [{ priceMinor: 0n }, 'invalid_amount'],
    [{ ttlMs: 10 }, 'invalid_ttl'],
  ])('rejects bad input %j with a 400', async (override, code) => {
    const error = await quotes.lock({ storeId, asset: 'BTC', currency: 'USD', priceMinor: 100n, ...override }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ httpStatus: 400, code });
  });

  it('serves GET /v1/rates, GET /v1/quotes/:id and the operator view over HTTP, behind the given auth', async () => {
    const auth: RequestHandler = (req, res, next) => {
      if (req.headers.authorization === 'Bearer good') next();
      else res.status(401).json({ error: { code: 'unauthenticated', message: 'Authentication required' } });
    };
    const errors: ErrorRequestHandler = (err, _req, res, _next) => {
      res.status(httpStatusOf(err)).json(toErrorBody(err));
    };
    const hiddenStore = 'st_someone_else';
    const app = express()
      .use(createFxRouter({ rates: oracle.rates, quotes, auth, now: () => now, canReadQuote: (req) => req.headers['x-store'] !== hiddenStore }))
      .use(errors);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const get = async (path: string, token = 'good', store = storeId) => {
      const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, 'x-store': store } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      expect((await get('/v1/rates', 'bad')).status).toBe(401);

      const rates = await get('/v1/rates?pairs=BTC-JPY,LTC-EUR,USDC-USD');
      expect(rates.status).toBe(200);
      expect(rates.body['data']).toEqual([
        expect.objectContaining({ pair: 'BTC-JPY', available: true, rate: '9001683', demo: false }),
        expect.objectContaining({ pair: 'LTC-EUR', available: true }),
        expect.objectContaining({ pair: 'USDC-USD', available: true, rate: '1' }),
      ]);
      expect((await get('/v1/rates?pairs=BTC_USD')).body).toMatchObject({ error: { code: 'invalid_pair' } });

      const quote = await quotes.lock({ storeId, asset: 'LTC', currency: 'USD', priceMinor: 12_345n });
      const shown = await get(`/v1/quotes/${quote.id}`);
      expect(shown).toMatchObject({
        status: 200,
        body: { id: quote.id, status: 'active', asset: 'LTC', currency: 'USD', price: '123.45', amountDueBase: quote.amountDueBase.toString(), token: quote.token },
      });
      expect(await get('/v1/quotes/qt_01JD0000000000000000000000')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
      // Another store's quote looks exactly like a missing one.
      expect(await get(`/v1/quotes/${quote.id}`, 'good', hiddenStore)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });

      const sources = await get('/v1/fx/sources');
      expect(sources.status).toBe(200);
      expect(sources.body['data']).toEqual([
        expect.objectContaining({ source: 'coinbase', breaker: 'closed', demo: false }),
        expect.objectContaining({ source: 'kraken', breaker: 'closed' }),
        expect.objectContaining({ source: 'ecb', breaker: 'closed' }),
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
