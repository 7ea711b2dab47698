import { deriveAddress, parseReceivingWallet } from '@coinstile/wallet-verifier';
import { activeStoreWithKey, type GatewayHarness, keys, startHarness, storeBody, walletsOfAccount } from './support/gateway-harness';

/** The same API on embedded PGlite, the database `npm start` runs on without DATABASE_URL. */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startHarness({ engine: 'pglite' });
}, 120_000);
afterAll(async () => {
  await h?.stop();
});

it('creates, replays, lists and cancels checkouts on PGlite', async () => {
  expect(h.runtime.db.engine).toBe('pglite');
  const { key } = await activeStoreWithKey(h, ['checkouts:read', 'checkouts:write'], storeBody({ wallets: walletsOfAccount(0) }));
  const body = { orderId: 'E-1', amount: '4980', currency: 'JPY', asset: 'BTC' };
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => h.request('POST', '/v1/checkouts', { token: key, body: { ...body, orderId: `E-${i}` }, headers: { 'idempotency-key': `e-${i}` } })),
  );
  expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
  const wallet = parseReceivingWallet('BTC', 'mainnet', keys.btcZpub);
  const expected = new Set(Array.from({ length: 10 }, (_, i) => deriveAddress(wallet, i)));
  expect(new Set(results.map((r) => r.body.payment.address))).toEqual(expected);
  const replay = await h.request('POST', '/v1/checkouts', { token: key, body: { ...body, orderId: 'E-3' }, headers: { 'idempotency-key': 'e-3' } });
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.body).toEqual(results[3]!.body);
  expect((await h.request('POST', '/v1/checkouts', { token: key, body, headers: { 'idempotency-key': 'e-3' } })).status).toBe(409);
  const list = await h.request('GET', '/v1/checkouts?limit=5', { token: key });
  expect(list.body.data).toHaveLength(5);
  const cancelled = await h.request('POST', `/v1/checkouts/${results[0]!.body.id}/cancel`, { token: key });
  expect(cancelled.body.status).toBe('cancelled');
});
