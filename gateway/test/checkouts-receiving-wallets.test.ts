import type { StoreId } from '@coinstile/core';
import { sql } from 'kysely';
import { receivingWalletStatuses } from '../src/portal/receiving-wallets';
import { activeStoreWithKey, type GatewayHarness, startHarness } from './support/gateway-harness';

let h: GatewayHarness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  if (h?.logs.length) console.log(h.logs.join(''));
  await h?.stop();
});

/** The integration page's row for `asset`. */
async function statusOf(storeId: string, asset: 'BTC' | 'ETH', gapLimit = 20) {
  const statuses = await receivingWalletStatuses(h.runtime.db, h.gateway.services.stores, storeId as StoreId, gapLimit);
  return statuses.find((s) => s.asset === asset)!;
}

describe('receiving wallets: gap state from the addresses handed out', () => {
  it('counts the checkouts’ addresses, not the indexes leased ahead: no false gap warning', async () => {
    const store = await activeStoreWithKey(h);
    expect(await statusOf(store.storeId, 'BTC')).toMatchObject({ nextIndex: 0n, lastPaidIndex: null, unpaidPastLastPaid: 0n, gap: 'ok' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await h.request('POST', '/v1/checkouts', { token: store.key, body: { orderId: `W-${i}`, amount: '1000', currency: 'JPY', asset: 'BTC' } });
      expect(res.status).toBe(201);
      ids.push(res.body.id as string);
    }
    // Another gateway process (or this one, under load) leased far ahead of what it handed out.
    await sql`UPDATE store_wallet_indexes SET next_index = next_index + 40 WHERE store_id = ${store.storeId} AND asset = 'BTC'`.execute(h.runtime.db.kysely);
    expect(await statusOf(store.storeId, 'BTC')).toMatchObject({ nextIndex: 3n, lastPaidIndex: null, unpaidPastLastPaid: 3n, gap: 'ok' });
    expect(await statusOf(store.storeId, 'ETH')).toMatchObject({ nextIndex: 0n, unpaidPastLastPaid: 0n, gap: 'ok' });

    // A payment at the second address: one issued address past it is unpaid.
    const paidId = (await h.runtime.db.kysely.selectFrom('checkouts').select('id').where('store_id', '=', store.storeId).where('derivation_index', '=', '1').executeTakeFirstOrThrow()).id;
    await h.runtime.db.kysely.updateTable('checkouts').set({ amount_paid_base: '1000' }).where('id', '=', paidId).execute();
    expect(await statusOf(store.storeId, 'BTC')).toMatchObject({ nextIndex: 3n, lastPaidIndex: 1n, unpaidPastLastPaid: 1n, gap: 'ok' });
    // With a gap limit of 2, three unpaid past the last paid would be exceeded; one is not.
    expect((await statusOf(store.storeId, 'BTC', 2)).gap).toBe('ok');
    await h.runtime.db.kysely.updateTable('checkouts').set({ amount_paid_base: '0' }).where('id', '=', paidId).execute();
    expect(await statusOf(store.storeId, 'BTC', 2)).toMatchObject({ unpaidPastLastPaid: 3n, gap: 'exceeded' });
  });
});
