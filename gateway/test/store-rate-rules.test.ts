import { FakeExchanges } from '../../fx-oracle/test/support/fake-exchanges';
import { activeStoreWithKey, type GatewayHarness, OPERATOR_TOKEN, rowCounts, startHarness, storeBody, walletsOfAccount } from './support/gateway-harness';

/**
 * A store's FX rules reach its quotes. Configured: `static` (demo, BTC-USD 60000), `coinbase` pointed at
 * a closed local port (never a rate), and `bitstamp` + `binance` served by a local server replaying their
 * real response formats. With several sources configured a rate needs two fresh ones, so a store
 * preferring `coinbase` alone cannot be quoted; with `bitstamp` and `binance` as fallbacks it is priced
 * from those two only (never from the demo rate); a source the installation does not run cannot be named.
 */
describe('per-store rate sources', () => {
  let h: GatewayHarness;
  let exchanges: FakeExchanges;
  beforeAll(async () => {
    exchanges = await FakeExchanges.start();
    h = await startHarness({
      env: {
        FX_SOURCES: 'static,coinbase,bitstamp,binance',
        FX_SOURCE_URLS: `coinbase=http://127.0.0.1:9,bitstamp=${exchanges.baseUrl},binance=${exchanges.baseUrl}`,
      },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await exchanges?.stop();
  });

  const checkout = (key: string, orderId: string) =>
    h.request('POST', '/v1/checkouts', { token: key, body: { orderId, amount: '49.80', currency: 'USD', asset: 'BTC' } });

  /** The first refresh of the exchange sources runs in the background at start. */
  async function checkoutOnceRatesArrive(key: string, orderId: string) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await checkout(key, orderId);
      if (res.status !== 503 || Date.now() > deadline) return res;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('prices only from the preferred sources, and answers 503 when they have no fresh rate', async () => {
    const store = await activeStoreWithKey(h, undefined, storeBody({ wallets: walletsOfAccount(11), policy: { fxPreferredSources: ['coinbase'] } }));
    const before = await rowCounts(h);
    const res = await checkout(store.key, 'SRC-1');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('rates_unavailable');
    expect(await rowCounts(h)).toEqual(before);

    const shown = await h.request('GET', `/v1/stores/${store.storeId}`, { token: OPERATOR_TOKEN });
    expect(shown.body.policy.fxPreferredSources).toEqual(['coinbase']);
    expect(shown.body.policy.fxFallbackSources).toEqual([]);
  });

  it('adds the fallback sources when the preferred ones give nothing, and follows a policy change', async () => {
    const store = await activeStoreWithKey(
      h,
      undefined,
      storeBody({ wallets: walletsOfAccount(12), policy: { fxPreferredSources: ['coinbase'], fxFallbackSources: ['bitstamp', 'binance'] } }),
    );
    const ok = await checkoutOnceRatesArrive(store.key, 'SRC-2');
    expect(ok.status).toBe(201);
    expect(ok.body.payment.rate).not.toBe('60000');
    const quote = await h.request('GET', `/v1/quotes/${ok.body.payment.quoteId}`, { token: store.key });
    expect(quote.status).toBe(200);
    expect(JSON.stringify(quote.body)).not.toContain('"static"');

    const patched = await h.request('PATCH', `/v1/stores/${store.storeId}/policy`, { token: OPERATOR_TOKEN, body: { fxFallbackSources: [] } });
    expect(patched.status).toBe(200);
    expect((await checkout(store.key, 'SRC-3')).status).toBe(503);
  });

  it('refuses a source the installation does not run, and unknown names, with 400 and writes nothing', async () => {
    const before = await rowCounts(h);
    for (const sources of [['kraken'], ['my-exchange'], []]) {
      const res = await h.request('POST', '/v1/stores', {
        token: OPERATOR_TOKEN,
        body: storeBody({ wallets: walletsOfAccount(13), policy: { fxPreferredSources: sources } }),
      });
      expect(res.status).toBe(400);
    }
    expect(await rowCounts(h)).toEqual(before);
  });
});
