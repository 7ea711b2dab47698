import { fiatValueOfCrypto, formatAmount, parseAmount, parseFiatCurrency, shopperBalance, shopperSpendsPending, storePayable, type StoreId } from '@coinstile/core';
import type { LitecoinRegtest } from '@coinstile/testkit';
import { sql } from 'kysely';
import { waitUntil, type WebhookReceiver } from '../../../merchant-payouts/test/support/pipeline-fixtures';
import { verifyWebhookSignature } from '../../src';
import { activeStoreWithKey, type GatewayHarness, keys, OPERATOR_TOKEN, storeBody } from '../support/gateway-harness';
import { type RegtestStack, startRegtestStack } from '../support/regtest-stack';

/**
 * A mixed-tender checkout end to end on litecoind regtest: the gateway, the verifier following the node and
 * the settlement pipeline in one process on PostgreSQL and redis-server. A shopper tops up in LTC, pays a
 * checkout with the balance into the overdraft (within the credit level) and the rest in LTC, over-paying
 * a little; a further spend beyond the credit level is refused. The ledger balances in JPY and LTC.
 */
let node: LitecoinRegtest;
let h: GatewayHarness;
let storeId: string;
let storeKey: string;
let receiver: WebhookReceiver;
let webhookSecret: string;
const JPY = parseFiatCurrency('JPY');
const ltc = (text: string): bigint => parseAmount(text, 'LTC');

let stack: RegtestStack;

beforeAll(async () => {
  stack = await startRegtestStack();
  ({ node, h, receiver } = stack);
  ({ storeId, key: storeKey } = await activeStoreWithKey(
    h,
    ['checkouts:read', 'checkouts:write', 'webhooks:write'],
    storeBody({ wallets: { LTC: { xpub: keys.ltcTpub } }, policy: { speedPolicy: 'medium_speed', paymentTolerancePct: '0', expiryMinutes: 30 } }),
  ));
  const endpoint = await h.request('POST', '/v1/webhooks', { token: storeKey, body: { url: receiver.url, eventTypes: ['shopper.balance_credited', 'shopper.balance_debited'] } });
  if (endpoint.status !== 201) throw new Error(`webhook ${endpoint.status} ${endpoint.text}`);
  webhookSecret = endpoint.body.secret as string;
}, 180_000);
afterAll(() => stack?.stop(), 60_000);

async function statement(id: string, accessCode: string): Promise<any> {
  const res = await h.request('POST', `/v1/shopper-accounts/${id}/statement`, { body: { accessCode, limit: '100' } });
  expect(res.status).toBe(200);
  return res.body;
}

test('top-up in LTC, then balance into the overdraft + LTC with an over-payment: released once, credits booked, ledger balanced per currency, signed webhooks to the store', async () => {
  const created = await h.request('POST', '/v1/shopper-accounts', { token: OPERATOR_TOKEN, body: { currency: 'JPY', creditLevel: '2000', topUpStoreId: storeId } });
  expect(created.status).toBe(201);
  const { id, accessCode } = created.body as { id: string; accessCode: string };

  // 1. A top-up of 3000 JPY paid in LTC on-chain.
  const topUp = await h.request('POST', `/v1/shopper-accounts/${id}/top-ups`, { body: { accessCode, amount: '3000', asset: 'LTC' } });
  expect(topUp.status).toBe(201);
  await node.sendToAddress(topUp.body.payment.address, topUp.body.payment.amountDue);
  await node.mine(1);
  await waitUntil(async () => (await statement(id, accessCode)).history.data.length === 1, 30_000, 'the top-up credit');
  const topUpCreditMinor = fiatValueOfCrypto(ltc(topUp.body.payment.amountDue), 'LTC', JPY, topUp.body.payment.rate);
  expect(topUpCreditMinor).toBeGreaterThanOrEqual(3000n);
  expect((await statement(id, accessCode)).balance).toBe(formatAmount(topUpCreditMinor, JPY));
  const topUpStatus = await h.runtime.db.kysely.selectFrom('checkouts').select(['status']).where('id', '=', topUp.body.id).executeTakeFirstOrThrow();
  expect(topUpStatus.status).toBe('settled');

  // 2. A sale of 8000 JPY linked to the account: the balance and the whole credit level pay part of it.
  const sale = await h.request('POST', '/v1/checkouts', { token: storeKey, body: { orderId: 'MIX-1', amount: '8000', currency: 'JPY', asset: 'LTC', shopperAccountId: id } });
  expect(sale.status).toBe(201);
  const paid = await h.request('POST', `/v1/shopper-accounts/${id}/payments`, { body: { accessCode, checkoutId: sale.body.id } });
  expect(paid.status).toBe(200);
  const balancePaidMinor = topUpCreditMinor + 2000n;
  expect(paid.body.paid).toBe(formatAmount(balancePaidMinor, JPY));
  expect((await statement(id, accessCode)).balance).toBe('-2000');

  // 3. Beyond the credit level: refused.
  const other = await h.request('POST', '/v1/checkouts', { token: storeKey, body: { orderId: 'MIX-2', amount: '100', currency: 'JPY' } });
  const refused = await h.request('POST', `/v1/shopper-accounts/${id}/payments`, { body: { accessCode, checkoutId: other.body.id } });
  expect(refused.status).toBe(422);
  expect(refused.body.error.code).toBe('insufficient_balance');

  // 4. The rest in LTC, 0.001 LTC over.
  const dueBase = ltc(paid.body.checkout.payment.amountDue);
  const overBase = 100_000n;
  await node.sendToAddress(sale.body.payment.address, formatAmount(dueBase + overBase, 'LTC'));
  await node.mine(1);
  const released = async () =>
    (await sql<{ n: string }>`SELECT count(*)::text AS n FROM order_releases WHERE checkout_id = ${sale.body.id}`.execute(h.runtime.db.kysely)).rows[0]?.n === '1';
  await waitUntil(released, 30_000, 'the sale released');
  await waitUntil(async () => (await statement(id, accessCode)).history.data.length === 3, 10_000, 'the over-payment credit');

  const overCreditMinor = fiatValueOfCrypto(overBase, 'LTC', JPY, paid.body.checkout.payment.rate);
  // The hosted page tells the shopper where the difference went.
  expect(await (await fetch(`${h.url}/pay/${sale.body.id}?lang=en`)).text()).toContain('The difference is credited to your account balance.');
  expect(overCreditMinor).toBeGreaterThan(0n);
  const final = await statement(id, accessCode);
  expect(final.history.data.map((e: { reason: string }) => e.reason)).toEqual(['over_payment', 'checkout_spend', 'top_up']);
  expect(final.balance).toBe(formatAmount(-2000n + overCreditMinor, JPY));

  const db = h.runtime.db.kysely;
  // The top-up was never released to the store; the sale once, with its balance tender.
  expect((await sql<{ n: string }>`SELECT count(*)::text AS n FROM order_releases WHERE checkout_id = ${topUp.body.id}`.execute(db)).rows[0]?.n).toBe('0');
  const releasedEvent = await db.selectFrom('outbox').select('payload').where('event_id', '=', `${sale.body.id}:order.released`).executeTakeFirstOrThrow();
  expect(releasedEvent.payload).toMatchObject({ priceMinor: '8000', tenders: [{ kind: 'balance', sourceId: id, amountMinor: balancePaidMinor.toString() }] });
  const tender = await db.selectFrom('checkout_tenders').select(['status', 'amount_minor']).where('checkout_id', '=', sale.body.id).execute();
  expect(tender).toEqual([{ status: 'captured', amount_minor: balancePaidMinor.toString() }]);

  // Ledger: balanced per currency; the store is owed the whole price less the fee; nothing left pending.
  const totals = await sql<{ currency: string; total: string }>`SELECT currency, sum(amount)::text AS total FROM ledger_entries GROUP BY currency`.execute(db);
  expect(totals.rows.map((r) => r.currency).sort()).toEqual(['JPY', 'LTC']);
  for (const row of totals.rows) expect(row.total).toBe('0');
  const accountBalance = async (account: string) =>
    (await sql<{ total: string }>`SELECT coalesce(sum(amount), 0)::text AS total FROM ledger_entries WHERE account = ${account} AND currency = 'JPY'`.execute(db)).rows[0]?.total;
  expect(await accountBalance(shopperSpendsPending())).toBe('0');
  expect(await accountBalance(shopperBalance(id as never))).toBe((2000n - overCreditMinor).toString());
  const release = await sql<{ fee_minor: string }>`SELECT fee_minor::text FROM order_releases WHERE checkout_id = ${sale.body.id}`.execute(db);
  expect(await accountBalance(storePayable(storeId as StoreId))).toBe((-(8000n - BigInt(release.rows[0]!.fee_minor))).toString());

  // The store's webhook endpoint heard every balance movement its checkouts caused, signed.
  const shopperHooks = () => receiver.received.map((r) => ({ r, event: JSON.parse(r.rawBody) as { type: string; data: { reason: string; accountId: string } } }));
  await waitUntil(async () => shopperHooks().length >= 3, 20_000, 'three shopper webhooks');
  expect(shopperHooks().map(({ event }) => `${event.type}/${event.data.reason}`).sort()).toEqual(
    ['shopper.balance_credited/over_payment', 'shopper.balance_credited/top_up', 'shopper.balance_debited/checkout_spend'].sort(),
  );
  for (const { r, event } of shopperHooks()) {
    expect(event.data.accountId).toBe(id);
    expect(verifyWebhookSignature(r.rawBody, r.headers['coinstile-signature'] as string, webhookSecret)).toBe(true);
  }
}, 120_000);
