import { shopperBalance, shopperSpendsPending, storePayable, storeVoucherCashDue, voucherLiability, type ShopperAccountId, type StoreId } from '@coinstile/core';
import { sql } from 'kysely';
import { LedgerRepository } from '@coinstile/platform';
import type { LitecoinRegtest } from '@coinstile/testkit';
import { waitUntil, type WebhookReceiver } from '../../merchant-payouts/test/support/pipeline-fixtures';
import { activeStoreWithKey, keys, OPERATOR_TOKEN, storeBody, type GatewayHarness } from './support/gateway-harness';
import { type RegtestStack, startRegtestStack } from './support/regtest-stack';

/**
 * Issue #8: one checkout paid by a voucher, a shopper balance and LTC together, end to end on litecoind
 * regtest through the HTTP API, with the real gateway, verifier and settlement pipeline: settled, released
 * once with both tenders, paid out once, the voucher and the shopper balance each lowered by what they paid,
 * and the ledger balanced in JPY and in LTC.
 */
describe('voucher + shopper balance + LTC on one checkout on regtest', () => {
  let node: LitecoinRegtest | undefined;
  let h: GatewayHarness | undefined;
  let receiver: WebhookReceiver | undefined;
  let stack: RegtestStack | undefined;

  beforeAll(async () => {
    stack = await startRegtestStack({ pinHashCost: { N: 1024, r: 8, p: 1 } });
    ({ node: node, h, receiver } = stack);
  }, 180_000);

  afterAll(() => stack?.stop(), 60_000);

  test('5980 JPY = 1000 voucher + 2000 balance (credit level) + 2980 in LTC: settled, released once with both tenders, one payout, ledger balanced', async () => {
    const harness = h!;
    const ltc = node!;
    const db = harness.runtime.db.kysely;
    const pos = await activeStoreWithKey(harness, ['pos']);
    const shop = await activeStoreWithKey(
      harness,
      ['checkouts:read', 'checkouts:write', 'webhooks:write'],
      // The mall's fee, 2.5 %: 149 JPY of 5980, rounded down in the store's favour, so the fee is visible in
      // every amount the store is owed.
      storeBody({
        wallets: { LTC: { xpub: keys.ltcTpub } },
        policy: { speedPolicy: 'medium_speed', paymentTolerancePct: '0', expiryMinutes: 30 },
        payoutTerms: { feePercent: '2.5' },
      }),
    );
    const hook = await harness.request('POST', '/v1/webhooks', { token: shop.key, body: { url: receiver!.url, eventTypes: ['order.released'] } });
    expect(hook.status).toBe(201);

    // The operator issues two 1000 JPY cards; the POS store sells and activates both; one is spent here,
    // the other stays on the mall's books as outstanding.
    const batch = await harness.request('POST', '/v1/voucher-batches', {
      token: OPERATOR_TOKEN,
      body: { count: 2, faceValue: '1000', currency: 'JPY', expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(batch.status).toBe(201);
    const [pin, unspentPin] = batch.body.pins.map((p: { pin: string }) => p.pin) as [string, string];
    for (const [i, p] of [pin, unspentPin].entries()) {
      expect((await harness.request('POST', '/v1/vouchers/activate', { token: pos.key, body: { pin: p, posTransactionId: `till-3:${i}` } })).status).toBe(201);
    }
    expect((await harness.request('POST', '/v1/vouchers/balance', { body: { pin } })).body).toMatchObject({ status: 'activated', balance: '1000' });

    // The operator opens a shopper account with no money on it, only a 2000 JPY credit level.
    const account = await harness.request('POST', '/v1/shopper-accounts', { token: OPERATOR_TOKEN, body: { currency: 'JPY', creditLevel: '2000' } });
    expect(account.status).toBe(201);
    const { id: accountId, accessCode } = account.body as { id: string; accessCode: string };
    const statement = async () => {
      const res = await harness.request('POST', `/v1/shopper-accounts/${accountId}/statement`, { body: { accessCode, limit: '100' } });
      expect(res.status).toBe(200);
      return res.body;
    };
    expect((await statement()).balance).toBe('0');

    // The selling store's checkout, linked to the account. At 12,000 JPY/LTC the whole price would be
    // 0.49833334 LTC; each tender shrinks what is due on chain, re-quoted and rounded up to the litoshi.
    const opened = await harness.request('POST', '/v1/checkouts', {
      token: shop.key,
      body: { orderId: 'MIX3-1', amount: '5980', currency: 'JPY', asset: 'LTC', shopperAccountId: accountId },
    });
    expect(opened.status).toBe(201);
    const checkoutId = opened.body.id as string;
    expect(opened.body.payment.amountDue).toBe('0.49833334');
    const view = async () => (await harness.request('GET', `/v1/checkouts/${checkoutId}`, { token: shop.key })).body;

    expect((await harness.request('POST', `/v1/checkouts/${checkoutId}/tenders`, { token: shop.key, body: { pin } })).status).toBe(201);
    const afterVoucher = await view();
    expect(afterVoucher).toMatchObject({ status: 'new', amountTendered: '1000', amountRemaining: '4980' });
    expect(afterVoucher.payment.amountDue).toBe('0.415');

    const paid = await harness.request('POST', `/v1/shopper-accounts/${accountId}/payments`, { body: { accessCode, checkoutId } });
    expect(paid.status).toBe(200);
    expect(paid.body.paid).toBe('2000');
    const afterBalance = await view();
    expect(afterBalance).toMatchObject({ status: 'new', amountTendered: '3000', amountRemaining: '2980' });
    expect(afterBalance.payment.amountDue).toBe('0.24833334');
    expect(afterBalance.payment.address).toBe(opened.body.payment.address);

    // Exactly the rest on chain.
    await ltc.sendToAddress(afterBalance.payment.address, afterBalance.payment.amountDue);
    await ltc.mine(2);
    await waitUntil(async () => (await view()).status === 'settled', 60_000, 'the checkout to settle');
    await waitUntil(() => receiver!.received.length >= 1, 30_000, 'the order.released webhook');
    await waitUntil(async () => (await db.selectFrom('payouts').select('id').where('checkout_id', '=', checkoutId).execute()).length >= 1, 30_000, 'the payout');

    // A moment for any duplicate release or payout to show up before they are counted.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // Released once, with both tenders; the webhook says the same as the outbox row.
    const releases = (await sql<{ fee_minor: string }>`SELECT fee_minor::text FROM order_releases WHERE checkout_id = ${checkoutId}`.execute(db)).rows;
    expect(releases).toHaveLength(1);
    const feeMinor = BigInt(releases[0]!.fee_minor);
    expect(feeMinor).toBe(149n);
    const releasedEvent = await db.selectFrom('outbox').select('payload').where('event_id', '=', `${checkoutId}:order.released`).executeTakeFirstOrThrow();
    const expectedRelease = {
      checkoutId,
      asset: 'LTC',
      priceMinor: '5980',
      amountReceivedBase: '24833334',
      tenders: [
        expect.objectContaining({ kind: 'voucher', amountMinor: '1000' }),
        expect.objectContaining({ kind: 'balance', sourceId: accountId, amountMinor: '2000' }),
      ],
    };
    expect(releasedEvent.payload).toMatchObject(expectedRelease);
    expect((releasedEvent.payload as { tenders: unknown[] }).tenders).toHaveLength(2);
    const webhooks = receiver!.received.map((r) => JSON.parse(r.rawBody) as { type: string; data: unknown });
    expect(webhooks.map((e) => e.type)).toEqual(['order.released']);
    expect(webhooks[0]!.data).toMatchObject(expectedRelease);
    const tenders = await db.selectFrom('checkout_tenders').select(['kind', 'status', 'amount_minor']).where('checkout_id', '=', checkoutId).orderBy('amount_minor').execute();
    expect(tenders).toEqual([
      { kind: 'voucher', status: 'captured', amount_minor: '1000' },
      { kind: 'balance', status: 'captured', amount_minor: '2000' },
    ]);

    // One payout: the whole price less the mall's fee.
    const payouts = await db.selectFrom('payouts').select(['amount_minor', 'fee_minor']).where('checkout_id', '=', checkoutId).execute();
    expect(payouts).toHaveLength(1);
    expect(BigInt(payouts[0]!.fee_minor)).toBe(feeMinor);
    expect(BigInt(payouts[0]!.amount_minor)).toBe(5980n - feeMinor);

    // The voucher lost what it paid (all of it); the shopper balance lost what it paid (into the overdraft).
    expect((await harness.request('POST', '/v1/vouchers/balance', { body: { pin } })).body).toMatchObject({ status: 'redeemed', balance: '0' });
    expect((await harness.request('POST', '/v1/vouchers/balance', { body: { pin: unspentPin } })).body).toMatchObject({ status: 'activated', balance: '1000' });
    const final = await statement();
    expect(final.balance).toBe('-2000');
    expect(final.history.data).toEqual([expect.objectContaining({ reason: 'checkout_spend', checkoutId })]);

    // The ledger: balanced per currency, in JPY and LTC only; the unspent card is the vouchers' whole
    // liability; the POS store owes the cash for both cards; the shopper owes the overdraft; nothing is left
    // pending; the selling store is owed exactly what its payout pays.
    const ledger = new LedgerRepository(harness.runtime.db);
    const trial = await ledger.trialBalance();
    expect([...trial.keys()].sort()).toEqual(['JPY', 'LTC']);
    expect([...trial.entries()].filter(([, sum]) => sum !== 0n)).toEqual([]);
    const accounts = [voucherLiability(), storeVoucherCashDue(pos.storeId as StoreId), shopperBalance(accountId as ShopperAccountId), shopperSpendsPending(), storePayable(shop.storeId as StoreId)];
    const balances = await ledger.balances(accounts);
    const jpy = (account: string) => balances.get(account)?.get('JPY' as never) ?? 0n;
    expect(accounts.map(jpy)).toEqual([-1000n, 2000n, 2000n, 0n, -(5980n - feeMinor)]);
    const settlementToStore = await db
      .selectFrom('ledger_entries')
      .innerJoin('ledger_postings', 'ledger_postings.id', 'ledger_entries.posting_id')
      .select(['ledger_entries.amount'])
      .where('ledger_postings.kind', '=', 'settlement')
      .where('ledger_postings.checkout_id', '=', checkoutId)
      .where('ledger_entries.account', '=', storePayable(shop.storeId as StoreId))
      .execute();
    expect(settlementToStore.reduce((sum, e) => sum + BigInt(e.amount), 0n)).toBe(-BigInt(payouts[0]!.amount_minor));
  }, 180_000);
});
