import { parseId } from '@coinstile/core';
import { SettlementProcessor } from '@coinstile/merchant-payouts';
import { settleCheckout } from '../../merchant-payouts/test/support/pipeline-fixtures';
import { activeStoreWithKey, type GatewayHarness, OPERATOR_TOKEN, startHarness } from './support/gateway-harness';

describe('GET /v1/payouts (store keys with payouts:read)', () => {
  let h: GatewayHarness;
  let store: { storeId: string; key: string };
  let other: { storeId: string; key: string };
  const checkoutIds: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    store = await activeStoreWithKey(h, ['payouts:read']);
    other = await activeStoreWithKey(h, ['payouts:read']);
    const processor = new SettlementProcessor({ db: h.runtime.db, clock: h.runtime.clock, random: h.runtime.random });
    for (let i = 0; i < 5; i += 1) checkoutIds.push(await settleCheckout(h.runtime.db, parseId('st', store.storeId), { priceMinor: 1000n + BigInt(i) }));
    checkoutIds.push(await settleCheckout(h.runtime.db, parseId('st', store.storeId), { priceMinor: 9000n, escrow: true }));
    await settleCheckout(h.runtime.db, parseId('st', other.storeId), { priceMinor: 777n });
    const otherCheckouts = await h.runtime.db.kysely.selectFrom('checkouts').select('id').where('store_id', '=', other.storeId).execute();
    await processor.processMany([...checkoutIds, ...otherCheckouts.map((c) => c.id)].map((id) => parseId('co', id)));
  }, 120_000);
  afterAll(() => h?.stop());

  it('lists the store’s own payouts newest first, page by page with the cursor, each exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await h.request('GET', `/v1/payouts?limit=4${cursor ? `&cursor=${cursor}` : ''}`, { token: store.key });
      expect(page.status).toBe(200);
      seen.push(...(page.body.data as { id: string }[]).map((p) => p.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor !== null);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    const all = (await h.request('GET', '/v1/payouts?limit=100', { token: store.key })).body.data as { checkoutId: string; storeId: string; createdAt: string }[];
    expect(all.map((p) => p.checkoutId).sort()).toEqual([...checkoutIds].sort());
    expect(all.every((p) => p.storeId === store.storeId)).toBe(true);
    expect([...all].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((p) => p.createdAt)).toEqual(all.map((p) => p.createdAt));
  });

  it('filters by status and shows net amount and fee in major units', async () => {
    const reserved = await h.request('GET', '/v1/payouts?status=reserved', { token: store.key });
    expect(reserved.status).toBe(200);
    expect(reserved.body.data).toHaveLength(1);
    expect(reserved.body.data[0]).toMatchObject({ status: 'reserved', currency: 'JPY', dueAt: null });
    const scheduled = (await h.request('GET', '/v1/payouts?status=scheduled', { token: store.key })).body.data as { amount: string; fee: string }[];
    expect(scheduled).toHaveLength(5);
    for (const p of scheduled) expect(Number(p.amount) + Number(p.fee)).toBeGreaterThanOrEqual(1000);
  });

  it('answers one payout to its store and 404 to another store; malformed input is a 400', async () => {
    const [first] = (await h.request('GET', '/v1/payouts?limit=1', { token: store.key })).body.data as { id: string }[];
    expect((await h.request('GET', `/v1/payouts/${first!.id}`, { token: store.key })).body).toMatchObject({ id: first!.id, storeId: store.storeId });
    expect((await h.request('GET', `/v1/payouts/${first!.id}`, { token: other.key })).status).toBe(404);
    expect((await h.request('GET', '/v1/payouts/po_nope', { token: store.key })).status).toBe(400);
    expect((await h.request('GET', '/v1/payouts?status=lost', { token: store.key })).status).toBe(400);
    expect((await h.request('GET', '/v1/payouts?cursor=garbage', { token: store.key })).body.error.code).toBe('invalid_cursor');
    expect((await h.request('GET', '/v1/payouts?limit=0', { token: store.key })).status).toBe(400);
    expect((await h.request('GET', '/v1/payouts', { token: OPERATOR_TOKEN })).status).toBe(403);
  });
});
