import { LedgerRepository } from '@coinstile/platform';
import type { LitecoinRegtest } from '@coinstile/testkit';
import { waitUntil, type WebhookReceiver } from '../../../merchant-payouts/test/support/pipeline-fixtures';
import { verifyWebhookSignature } from '../../src';
import { activeStoreWithKey, keys, OPERATOR_TOKEN, storeBody, type GatewayHarness } from '../support/gateway-harness';
import { type RegtestStack, startRegtestStack } from '../support/regtest-stack';

/**
 * Mixed tenders end to end on litecoind regtest: vouchers issued by the operator, sold and activated at one
 * store's POS, spent together with LTC on another store's checkout → confirmed → settled → released once
 * (order.released carries the tenders, voucher.redeemed per voucher, both signed webhooks) with the
 * ledger balanced in every currency; and a checkout the vouchers cover entirely, released without crypto.
 */
describe('vouchers + LTC on regtest → settled → released, ledger balanced', () => {
  let litecoind: LitecoinRegtest | undefined;
  let h: GatewayHarness | undefined;
  let receiver: WebhookReceiver | undefined;
  let stack: RegtestStack | undefined;

  beforeAll(async () => {
    stack = await startRegtestStack({ pinHashCost: { N: 1024, r: 8, p: 1 } });
    ({ node: litecoind, h, receiver } = stack);
  }, 180_000);

  afterAll(() => stack?.stop(), 60_000);

  test('two vouchers and LTC pay one checkout; two more vouchers pay another alone', async () => {
    const harness = h!;
    const ltc = litecoind!;
    const pos = await activeStoreWithKey(harness, ['pos', 'webhooks:write']);
    const shop = await activeStoreWithKey(harness, ['checkouts:read', 'checkouts:write', 'webhooks:write'], storeBody({ wallets: { LTC: { xpub: keys.ltcTpub } } }));
    const hookOf = async (key: string, eventTypes: string[]) => {
      const res = await harness.request('POST', '/v1/webhooks', { token: key, body: { url: receiver!.url, eventTypes } });
      expect(res.status).toBe(201);
      return res.body.secret as string;
    };
    const posSecret = await hookOf(pos.key, ['voucher.activated']);
    const shopSecret = await hookOf(shop.key, ['order.released', 'voucher.redeemed', 'checkout.settled']);

    const batch = await harness.request('POST', '/v1/voucher-batches', {
      token: OPERATOR_TOKEN,
      body: { count: 4, faceValue: '1000', currency: 'JPY', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(batch.status).toBe(201);
    const pins = batch.body.pins.map((p: { pin: string }) => p.pin) as string[];
    for (const [i, pin] of pins.entries()) {
      const res = await harness.request('POST', '/v1/vouchers/activate', { token: pos.key, body: { pin, posTransactionId: `till-1:${i}` } });
      expect(res.status).toBe(201);
    }

    // Checkout 1: 4980 JPY = 2 × 1000 in vouchers + 2980 in LTC.
    const mixed = await harness.request('POST', '/v1/checkouts', { token: shop.key, body: { orderId: 'MIX-1', amount: '4980', currency: 'JPY', asset: 'LTC' } });
    expect(mixed.status).toBe(201);
    const id = mixed.body.id as string;
    for (const pin of pins.slice(0, 2)) {
      expect((await harness.request('POST', `/v1/checkouts/${id}/tenders`, { token: shop.key, body: { pin } })).status).toBe(201);
    }
    const view = (await harness.request('GET', `/v1/checkouts/${id}`, { token: shop.key })).body;
    expect(view).toMatchObject({ status: 'new', amountTendered: '2000', amountRemaining: '2980' });
    // 2980 JPY at 12,000 JPY/LTC, rounded up to the litoshi.
    expect(view.payment.amountDue).toBe('0.24833334');
    await ltc.sendToAddress(view.payment.address, view.payment.amountDue);
    await ltc.mine(2);

    // Checkout 2: 1500 JPY paid by two vouchers (1000 + 500 of the second), no asset ever chosen.
    const covered = await harness.request('POST', '/v1/checkouts', { token: shop.key, body: { orderId: 'MIX-2', amount: '1500', currency: 'JPY' } });
    const coveredId = covered.body.id as string;
    for (const pin of pins.slice(2)) await harness.request('POST', `/v1/checkouts/${coveredId}/tenders`, { token: shop.key, body: { pin } });
    expect((await harness.request('POST', '/v1/vouchers/balance', { body: { pin: pins[3] } })).body.balance).toBe('500');

    const statusOf = async (checkoutId: string) => (await harness.request('GET', `/v1/checkouts/${checkoutId}`, { token: shop.key })).body;
    await waitUntil(async () => (await statusOf(id)).status === 'settled', 60_000, 'the mixed checkout to settle');
    const released = () => receiver!.received.map((hook) => ({ hook, event: JSON.parse(hook.rawBody) as { id: string; type: string; data: Record<string, unknown> } }));
    const ofType = (type: string) => released().filter((r) => r.event.type === type);
    await waitUntil(() => new Set(ofType('order.released').map((r) => r.event.data['checkoutId'])).size === 2, 60_000, 'both orders released');
    await waitUntil(() => new Set(ofType('voucher.redeemed').map((r) => r.event.id)).size === 4, 60_000, 'four voucher.redeemed');
    await waitUntil(() => new Set(ofType('voucher.activated').map((r) => r.event.id)).size === 4, 60_000, 'four voucher.activated');

    for (const { hook, event } of released()) {
      const secret = event.type === 'voucher.activated' ? posSecret : shopSecret;
      expect(verifyWebhookSignature(hook.rawBody, hook.headers['coinstile-signature'] as string, secret)).toBe(true);
    }
    const mixedRelease = ofType('order.released').find((r) => r.event.data['checkoutId'] === id)!.event.data;
    expect(mixedRelease).toMatchObject({ asset: 'LTC', priceMinor: '4980' });
    expect(mixedRelease['tenders']).toEqual([
      expect.objectContaining({ kind: 'voucher', amountMinor: '1000' }),
      expect.objectContaining({ kind: 'voucher', amountMinor: '1000' }),
    ]);
    const coveredRelease = ofType('order.released').find((r) => r.event.data['checkoutId'] === coveredId)!.event.data;
    expect(coveredRelease).toMatchObject({ asset: null, priceMinor: '1500', amountReceivedBase: '0' });
    expect(ofType('order.released')).toHaveLength(2);
    expect((await statusOf(id)).tenders.map((t: { status: string }) => t.status)).toEqual(['captured', 'captured']);

    // The ledger: balanced per currency; the vouchers' liability is what is still on the cards (500 JPY);
    // the POS store owes the cash it took; the selling store is owed both prices less the mall's fee.
    const ledger = new LedgerRepository(harness.runtime.db);
    await waitUntil(async () => (await harness.runtime.db.kysely.selectFrom('payouts').select('id').where('checkout_id', 'in', [id, coveredId]).execute()).length === 2, 30_000, 'both payouts');
    const trial = await ledger.trialBalance();
    expect([...trial.entries()].filter(([, sum]) => sum !== 0n)).toEqual([]);
    expect([...trial.keys()].sort()).toEqual(['JPY', 'LTC']);
    const balances = await ledger.balances(['mall:vouchers:outstanding', `store:${pos.storeId}:voucher_cash_due`]);
    expect(balances.get('mall:vouchers:outstanding')?.get('JPY' as never)).toBe(-500n);
    expect(balances.get(`store:${pos.storeId}:voucher_cash_due`)?.get('JPY' as never)).toBe(4000n);
    const payouts = await harness.runtime.db.kysely.selectFrom('payouts').select(['checkout_id', 'amount_minor', 'fee_minor']).where('checkout_id', 'in', [id, coveredId]).execute();
    const owed = payouts.reduce((sum, p) => sum + BigInt(p.amount_minor), 0n);
    const fees = payouts.reduce((sum, p) => sum + BigInt(p.fee_minor), 0n);
    expect(owed).toBe(4980n + 1500n - fees);
    // What the settlements made payable to the store is exactly what its payouts pay.
    const settled = await harness.runtime.db.kysely
      .selectFrom('ledger_entries')
      .innerJoin('ledger_postings', 'ledger_postings.id', 'ledger_entries.posting_id')
      .select(['ledger_entries.amount'])
      .where('ledger_postings.kind', '=', 'settlement')
      .where('ledger_postings.checkout_id', 'in', [id, coveredId])
      .where('ledger_entries.account', '=', `store:${shop.storeId}:payable`)
      .execute();
    expect(settled.reduce((sum, e) => sum + BigInt(e.amount), 0n)).toBe(-owed);
  }, 180_000);
});
