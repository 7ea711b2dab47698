import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, mallCryptoHoldings, shopperRefundsPayable, storeEscrow, storePayable, type Clock } from '@coinstile/core';
import { createEscrowLinkSigner, pipelineKysely, reconcilePayouts, startEscrowSweeper, startPayouts } from '@coinstile/merchant-payouts';
import { createServiceRuntime, LedgerRepository, loadConfig, type ServiceRuntime } from '@coinstile/platform';
import { startLitecoind, startPostgres, startRedis, type LitecoinRegtest, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import { startVerifier } from '@coinstile/wallet-verifier';
import { startWebhookReceiver, type WebhookReceiver } from '../../../merchant-payouts/test/support/pipeline-fixtures';
import { type RunningGateway, startGateway, startWebhookDelivery, verifyWebhookSignature } from '../../src';
import { keys } from '../support/gateway-harness';

/**
 * Issue #7 end to end on litecoind regtest, every part real and in this process: PostgreSQL, redis-server,
 * the gateway (API and the shopper's pages over HTTP), the verifier following the node, the settlement
 * pipeline and the escrow sweeper. Shoppers pay with real transactions; the refund is sent for real.
 */

const OPERATOR = 'test-operator-token-0123456789abcdef';
const PUBLIC_URL = 'https://pay.example.test';

/** Real time plus an offset the test moves forward (auto-acceptance); every part shares it. */
class OffsetClock implements Clock {
  #offsetMs = 0;
  #lastMs = 0;
  now(): Date {
    this.#lastMs = Math.max(this.#lastMs, Date.now() + this.#offsetMs);
    return new Date(this.#lastMs);
  }
  advance(ms: number): void {
    this.#offsetMs += ms;
  }
}

let postgres: PostgresServer;
let redis: RedisServer;
let node: LitecoinRegtest;
let runtime: ServiceRuntime;
let gateway: RunningGateway;
let dataDir: string;
const clock = new OffsetClock();
let storeId: string;
let storeKey: string;
let carrierId: string;
let carrierKey: string;
let receiver: WebhookReceiver;
let webhookSecret: string;

interface Res {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Headers;
}

async function call(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const res = await fetch(`${gateway.listenUrl}${path}`, {
    method,
    redirect: 'manual',
    headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, text, body: parsed, headers: res.headers };
}

/** A same-origin form post, as the shopper's browser sends it from the page. */
async function postForm(path: string, fields: Record<string, string>): Promise<Res> {
  const res = await fetch(`${gateway.listenUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC_URL },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text(), body: undefined, headers: res.headers };
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function payoutOf(checkoutId: string): Promise<{ status: string; amount_minor: string } | undefined> {
  return pipelineKysely(runtime.db).selectFrom('payouts').select(['status', 'amount_minor']).where('checkout_id', '=', checkoutId).executeTakeFirst();
}

async function eventPayload(eventType: string, checkoutId: string): Promise<Record<string, unknown> | undefined> {
  const rows = await runtime.db.kysely.selectFrom('outbox').select('payload').where('event_type', '=', eventType).execute();
  return rows.map((r) => r.payload as Record<string, unknown>).find((p) => p['checkoutId'] === checkoutId);
}

/** The path of a link the gateway signed (links carry PUBLIC_URL; the test talks to the listening address). */
const pathOf = (url: string): string => new URL(url).pathname;

/** An escrow checkout of 4,980 JPY in LTC (linked to a shopper account if given), paid on chain and confirmed: its payout is reserved. */
async function paidEscrowCheckout(escrow = true, shopperAccountId?: string): Promise<string> {
  const created = await call('POST', '/v1/checkouts', storeKey, {
    orderId: `E-${Date.now()}-${Math.random()}`,
    amount: '4980',
    currency: 'JPY',
    asset: 'LTC',
    escrow,
    ...(shopperAccountId !== undefined ? { shopperAccountId } : {}),
  });
  expect(created.status).toBe(201);
  await node.walletRpc('sendtoaddress', [created.body.payment.address, created.body.payment.amountDue]);
  await node.mine(1);
  const id = created.body.id as string;
  await waitUntil(`payout of ${id}`, async () => (await payoutOf(id))?.status === (escrow ? 'reserved' : 'scheduled'));
  return id;
}

async function acceptPathOf(checkoutId: string): Promise<string> {
  const held = await waitUntil('escrow.held', () => eventPayload('escrow.held', checkoutId));
  return pathOf(held['acceptUrl'] as string);
}

async function ledgerBalanced(): Promise<void> {
  const ledger = new LedgerRepository(runtime.db);
  for (const [currency, total] of await ledger.trialBalance()) expect([currency, total]).toEqual([currency, 0n]);
  expect((await reconcilePayouts(runtime.db)).discrepancies).toEqual([]);
  // Exactly one payout per released order.
  const counts = await pipelineKysely(runtime.db).selectFrom('payouts').select(({ fn }) => ['checkout_id', fn.countAll<string>().as('n')]).groupBy('checkout_id').execute();
  expect(counts.filter((c) => Number(c.n) !== 1)).toEqual([]);
}

beforeAll(async () => {
  [postgres, redis, node] = await Promise.all([startPostgres(), startRedis(), startLitecoind()]);
  dataDir = mkdtempSync(join(tmpdir(), 'coinstile-escrow-e2e-'));
  const config = loadConfig(
    {
      DATABASE_URL: await postgres.createDatabase(),
      REDIS_URL: redis.url,
      COINSTILE_DATA_DIR: dataDir,
      COINSTILE_OPERATOR_TOKEN: OPERATOR,
      LOG_LEVEL: 'error',
      PUBLIC_URL,
      LTC_RPC_URL: node.rpcUrl,
      LTC_NETWORK: 'regtest',
      BTC_NETWORK: 'regtest',
      FX_SOURCES: 'static',
      FX_STATIC_RATES: 'LTC-JPY=12000,BTC-JPY=9000000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      WEBHOOK_ALLOW_PRIVATE: 'true',
    },
    { cwd: dataDir },
  );
  const base = await createServiceRuntime(config, { service: 'escrow-e2e', logDestination: { write: () => undefined } });
  runtime = { ...base, clock };
  gateway = await startGateway(runtime, { port: 0, rateLimits: { key: 1_000_000, operator: 1_000_000, ip: 1_000_000 } });
  await startVerifier(runtime, { service: { pollIntervalMs: 100 } });
  startPayouts(runtime, { relayPollIntervalMs: 50 });
  startEscrowSweeper(runtime, { intervalMs: 200 });
  startWebhookDelivery(runtime, { pollIntervalMs: 50 });
  receiver = await startWebhookReceiver();

  const store = await call('POST', '/v1/stores', OPERATOR, {
    name: 'Kobe Tea House',
    payoutCurrency: 'JPY',
    payoutAccount: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' },
    wallets: { LTC: { xpub: keys.ltcTpub } },
    policy: { speedPolicy: 'medium_speed', escrow: { inspection: 'shopper', autoAcceptDays: 3, refundRate: 'sale' } },
  });
  expect(store.status).toBe(201);
  expect(store.body.policy.escrow).toEqual({ byDefault: false, inspection: 'shopper', autoAcceptDays: 3, refundRate: 'sale', refundTo: 'shopper_balance' });
  storeId = store.body.id;
  expect((await call('POST', `/v1/stores/${storeId}/verify`, OPERATOR)).status).toBe(200);
  storeKey = (await call('POST', `/v1/stores/${storeId}/api-keys`, OPERATOR, { scopes: ['checkouts:read', 'checkouts:write', 'webhooks:write'] })).body.key;
  const endpoint = await call('POST', '/v1/webhooks', storeKey, { url: receiver.url });
  expect(endpoint.status).toBe(201);
  webhookSecret = endpoint.body.secret;
  const carrier = await call('POST', '/v1/carriers', OPERATOR, { code: 'yamato', name: 'Yamato Transport' });
  expect(carrier.status).toBe(201);
  carrierId = carrier.body.id;
  const key = await call('POST', `/v1/carriers/${carrierId}/api-keys`, OPERATOR);
  expect(key.status).toBe(201);
  expect(key.body).toMatchObject({ scopes: ['shipments'] });
  carrierKey = key.body.key;
  expect(carrierKey).toMatch(/^csc_/);
}, 120_000);

afterAll(async () => {
  if (runtime?.lifecycle.state === 'running') await runtime.lifecycle.shutdown('tests done');
  await receiver?.close();
  await Promise.allSettled([postgres?.stop(), redis?.stop(), node?.stop()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('escrow checkout → paid on regtest → reserved → shipment → carrier reports delivery → payout scheduled', async () => {
  const checkoutId = await paidEscrowCheckout();
  const body = { carrierId, trackingNumber: `YMT-${Date.now()}`, inspection: 'carrier' };
  const shipped = await call('POST', `/v1/checkouts/${checkoutId}/shipments`, storeKey, body, { 'idempotency-key': `ship-${checkoutId}` });
  expect(shipped.status).toBe(201);
  expect(shipped.body).toMatchObject({ checkoutId, carrierCode: 'yamato', status: 'registered' });
  // The same request again replays the answer; no second shipment exists.
  const replay = await call('POST', `/v1/checkouts/${checkoutId}/shipments`, storeKey, body, { 'idempotency-key': `ship-${checkoutId}` });
  expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body.id]).toEqual([201, 'true', shipped.body.id]);
  expect((await call('GET', '/v1/carriers', storeKey)).body.data).toEqual([expect.objectContaining({ id: carrierId, code: 'yamato' })]);
  expect((await call('POST', '/v1/carriers', storeKey, { code: 'sagawa', name: 'Sagawa' })).status).toBe(403);
  expect((await call('GET', '/v1/shipments', storeKey)).body.data.filter((s: { checkoutId: string }) => s.checkoutId === checkoutId)).toHaveLength(1);

  // Only the carrier reports on its shipment.
  expect((await call('POST', `/v1/shipments/${shipped.body.id}/events`, storeKey, { status: 'delivered' })).status).toBe(403);
  expect((await call('POST', `/v1/shipments/${shipped.body.id}/events`, OPERATOR, { status: 'delivered' })).status).toBe(403);
  expect((await call('POST', `/v1/checkouts/${checkoutId}/shipments`, carrierKey, body)).status).toBe(403);
  expect((await call('POST', `/v1/shipments/${shipped.body.id}/events`, carrierKey, { status: 'lost' })).status).toBe(400);
  expect((await call('POST', `/v1/shipments/${shipped.body.id}/events`, carrierKey, { status: 'in_transit' })).status).toBe(201);
  expect((await call('GET', `/v1/checkouts/${checkoutId}/escrow`, storeKey)).body).toMatchObject({ status: 'shipped', inspection: 'carrier' });
  expect(await payoutOf(checkoutId)).toMatchObject({ status: 'reserved' });
  const delivered = await call('POST', `/v1/shipments/${shipped.body.id}/events`, carrierKey, { status: 'delivered' });
  expect(delivered.body).toMatchObject({ status: 'delivered' });

  expect(await payoutOf(checkoutId)).toMatchObject({ status: 'scheduled', amount_minor: '4980' });
  expect((await call('GET', `/v1/checkouts/${checkoutId}/escrow`, storeKey)).body).toMatchObject({ status: 'accepted', acceptedBy: 'carrier', releasedAmount: '4980' });
  expect(await eventPayload('escrow.accepted', checkoutId)).toMatchObject({ acceptedBy: 'carrier' });
  expect(await eventPayload('payout.scheduled', checkoutId)).toMatchObject({ amountMinor: '4980', status: 'scheduled' });
  // The store hears every step as a signed webhook.
  const hooks = () => receiver.received.map((h) => ({ hook: h, event: JSON.parse(h.rawBody) as { type: string; data: { checkoutId?: string } } })).filter((e) => e.event.data.checkoutId === checkoutId);
  const expected = ['order.released', 'payout.reserved', 'escrow.held', 'shipment.registered', 'escrow.shipped', 'shipment.in_transit', 'shipment.delivered', 'escrow.delivered', 'escrow.accepted', 'payout.scheduled'];
  await waitUntil('the escrow webhooks', async () => expected.every((type) => hooks().some((h) => h.event.type === type)));
  const accepted = hooks().find((h) => h.event.type === 'escrow.accepted')!;
  expect(verifyWebhookSignature(accepted.hook.rawBody, accepted.hook.headers['coinstile-signature'] as string, webhookSecret)).toBe(true);
  // Events about the order arrive in the order they happened.
  const checkoutTypes = hooks().map((h) => h.event.type).filter((t) => !t.startsWith('payout.') && !t.startsWith('checkout.'));
  expect(checkoutTypes).toEqual(expected.filter((t) => !t.startsWith('payout.')));
  const balances = await new LedgerRepository(runtime.db).balances();
  expect(balances.get(storeEscrow(storeId as never))?.get('JPY' as never)).toBe(0n);
  expect(balances.get(storePayable(storeId as never))?.get('JPY' as never)).toBeLessThanOrEqual(-4980n);
  await ledgerBalanced();
}, 60_000);

test('the shopper confirms receipt on the signed page: payout scheduled; the page refuses forged links and cross-site posts', async () => {
  const checkoutId = await paidEscrowCheckout();
  const acceptPath = await acceptPathOf(checkoutId);
  const page = await fetch(`${gateway.listenUrl}${acceptPath}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  const html = await page.text();
  expect(html).toContain('I received the goods');
  expect(html).toContain('Open a dispute');

  expect((await fetch(`${gateway.listenUrl}${acceptPath}x`)).status).toBe(400);
  const crossSite = await fetch(`${gateway.listenUrl}${acceptPath}/confirm`, { method: 'POST', redirect: 'manual', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  expect(crossSite.status).toBe(403);
  expect(await payoutOf(checkoutId)).toMatchObject({ status: 'reserved' });

  const confirmed = await postForm(`${acceptPath}/confirm`, {});
  expect(confirmed.status).toBe(303);
  expect(await payoutOf(checkoutId)).toMatchObject({ status: 'scheduled' });
  expect(await (await fetch(`${gateway.listenUrl}${acceptPath}`)).text()).toContain('accepted');
  // Accepted: a late dispute is refused with a page, not a 500.
  expect((await postForm(`${acceptPath}/dispute`, { reason: 'changed my mind' })).status).toBe(422);
  await ledgerBalanced();
}, 60_000);

test('dispute → full refund: the shopper submits an address, the operator sends the LTC on regtest and records its txid', async () => {
  const checkoutId = await paidEscrowCheckout();
  const acceptPath = await acceptPathOf(checkoutId);
  expect((await postForm(`${acceptPath}/dispute`, { reason: '' })).status).toBe(400);
  expect((await postForm(`${acceptPath}/dispute`, { reason: 'The tea tin arrived crushed' })).status).toBe(303);
  expect(await (await fetch(`${gateway.listenUrl}${acceptPath}`)).text()).toContain('disputed');

  const open = await call('GET', '/v1/disputes?status=open', OPERATOR);
  const dispute = open.body.data.find((d: { checkoutId: string }) => d.checkoutId === checkoutId);
  expect(dispute).toMatchObject({ reason: 'The tea tin arrived crushed', heldAmount: '4980', status: 'open' });
  expect((await call('POST', `/v1/disputes/${dispute.id}/resolve`, storeKey, { resolution: 'refund_full' })).status).toBe(403);
  expect((await call('POST', `/v1/disputes/${dispute.id}/resolve`, OPERATOR, { resolution: 'refund_partial' })).status).toBe(400);
  expect((await call('POST', `/v1/disputes/${dispute.id}/resolve`, OPERATOR, { resolution: 'refund_partial', refundAmount: '4980' })).status).toBe(422);
  const resolved = await call('POST', `/v1/disputes/${dispute.id}/resolve`, OPERATOR, { resolution: 'refund_full', note: 'carrier damage' });
  expect(resolved.status).toBe(200);
  expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'refund_full', refundAmount: '4980' });
  expect(await payoutOf(checkoutId)).toMatchObject({ status: 'refunded' });

  const requested = await waitUntil('refund.requested', () => eventPayload('refund.requested', checkoutId));
  const refundPath = pathOf(requested['refundUrl'] as string);
  expect(await (await fetch(`${gateway.listenUrl}${refundPath}`)).text()).toContain('Enter the LTC address');
  expect((await postForm(refundPath, { address: 'bc1qnotlitecoin' })).status).toBe(400);
  const address = await node.newAddress();
  expect((await postForm(refundPath, { address })).status).toBe(303);
  const refunds = await call('GET', '/v1/refunds?status=ready', OPERATOR);
  const refund = refunds.body.data.find((r: { checkoutId: string }) => r.checkoutId === checkoutId);
  // 4,980 JPY at the sale's 12,000 JPY/LTC, rounded up: 0.415 LTC, what the shopper paid.
  expect(refund).toMatchObject({ amount: '4980', asset: 'LTC', address, rate: '12000', cryptoAmount: '0.415', reason: 'dispute_refund_full' });

  const holdingsBefore = (await new LedgerRepository(runtime.db).balances()).get(mallCryptoHoldings('LTC'))?.get('LTC') ?? 0n;
  const txid = await node.walletRpc<string>('sendtoaddress', [address, refund.cryptoAmount]);
  await node.mine(1);
  const onChain = await node.walletRpc<{ details: { address: string; amount: number; category: string }[] }>('gettransaction', [txid]);
  expect(onChain.details.some((d) => d.address === address && Math.abs(d.amount) === 0.415)).toBe(true);
  const sent = await call('POST', `/v1/refunds/${refund.id}/mark-sent`, OPERATOR, { txid });
  expect(sent.body).toMatchObject({ status: 'sent', txid });
  expect((await call('POST', `/v1/refunds/${refund.id}/mark-sent`, OPERATOR, { txid })).status).toBe(409);
  expect(await (await fetch(`${gateway.listenUrl}${refundPath}`)).text()).toContain(txid);

  const balances = await new LedgerRepository(runtime.db).balances();
  expect(balances.get(mallCryptoHoldings('LTC'))?.get('LTC')).toBe(holdingsBefore - 41_500_000n);
  expect(balances.get(shopperRefundsPayable())?.get('JPY' as never)).toBe(0n);
  await ledgerBalanced();
}, 60_000);

test('dispute → full refund of a checkout linked to a shopper account: credited to the balance at once, no address, nothing to send', async () => {
  const account = await call('POST', '/v1/shopper-accounts', OPERATOR, { currency: 'JPY', label: 'Aiko' });
  expect(account.status).toBe(201);
  const { id: accountId, accessCode } = account.body as { id: string; accessCode: string };
  const checkoutId = await paidEscrowCheckout(true, accountId);
  const acceptPath = await acceptPathOf(checkoutId);
  expect((await postForm(`${acceptPath}/dispute`, { reason: 'Never arrived' })).status).toBe(303);
  const dispute = (await call('GET', '/v1/disputes?status=open', OPERATOR)).body.data.find((d: { checkoutId: string }) => d.checkoutId === checkoutId);
  const resolved = await call('POST', `/v1/disputes/${dispute.id}/resolve`, OPERATOR, { resolution: 'refund_full' });
  expect(resolved.status).toBe(200);
  // A retried resolution is refused and books nothing again.
  expect((await call('POST', `/v1/disputes/${dispute.id}/resolve`, OPERATOR, { resolution: 'refund_full' })).status).toBe(422);
  expect(await payoutOf(checkoutId)).toMatchObject({ status: 'refunded' });

  const refund = (await call('GET', '/v1/refunds?status=credited', OPERATOR)).body.data.find((r: { checkoutId: string }) => r.checkoutId === checkoutId);
  expect(refund).toMatchObject({ status: 'credited', amount: '4980', shopperAccountId: accountId, address: null, cryptoAmount: null, txid: null });
  expect(refund.creditedAt).toEqual(expect.any(String));
  expect((await call('POST', `/v1/refunds/${refund.id}/mark-sent`, OPERATOR, { txid: 'ab'.repeat(32) })).status).toBe(409);
  expect(await eventPayload('refund.requested', checkoutId)).toBeUndefined();
  // No link was sent; one signed anyway opens a page that says where the money went and asks for nothing.
  const refundPath = pathOf((await createEscrowLinkSigner(runtime)).refundUrl(refund.id));
  const refundPage = await (await fetch(`${gateway.listenUrl}${refundPath}`)).text();
  expect(refundPage).toContain('credited to your Coinstile balance');
  expect(refundPage).not.toContain('<form');
  expect((await postForm(refundPath, { address: await node.newAddress() })).status).toBe(409);

  const statement = await call('POST', `/v1/shopper-accounts/${accountId}/statement`, undefined, { accessCode });
  expect(statement.body).toMatchObject({ balance: '4980' });
  expect(statement.body.history.data.map((e: { reason: string; amount: string }) => [e.reason, e.amount])).toEqual([['refund', '4980']]);
  // The store hears both, as signed webhooks.
  const types = () => receiver.received.map((h) => JSON.parse(h.rawBody) as { type: string; data: { checkoutId?: string } }).filter((e) => e.data.checkoutId === checkoutId).map((e) => e.type);
  await waitUntil('refund.credited and shopper.balance_credited webhooks', async () => types().includes('refund.credited') && types().includes('shopper.balance_credited'));
  expect(types().filter((t) => t === 'shopper.balance_credited')).toHaveLength(1);
  const balances = await new LedgerRepository(runtime.db).balances();
  expect(balances.get(shopperRefundsPayable())?.get('JPY' as never) ?? 0n).toBe(0n);
  await ledgerBalanced();
}, 60_000);

test('auto-acceptance: delivered and undisputed for autoAcceptDays, the sweeper accepts by the clock', async () => {
  const checkoutId = await paidEscrowCheckout();
  const shipped = await call('POST', `/v1/checkouts/${checkoutId}/shipments`, storeKey, { carrierId, trackingNumber: `YMT-A-${Date.now()}` });
  await call('POST', `/v1/shipments/${shipped.body.id}/events`, carrierKey, { status: 'delivered' });
  const delivered = (await call('GET', `/v1/checkouts/${checkoutId}/escrow`, storeKey)).body;
  expect(delivered).toMatchObject({ status: 'delivered', inspection: 'shopper' });
  expect(Date.parse(delivered.acceptanceDeadline) - Date.parse(delivered.deliveredAt)).toBe(3 * DAY_MS);
  // The store can fetch the shopper's page again; it opens on this order.
  expect(await (await fetch(`${gateway.listenUrl}${pathOf(delivered.acceptUrl as string)}`)).text()).toContain('delivered');
  await new Promise((r) => setTimeout(r, 600));
  expect(await payoutOf(checkoutId)).toMatchObject({ status: 'reserved' });

  clock.advance(3 * DAY_MS);
  await waitUntil('auto-acceptance', async () => (await payoutOf(checkoutId))?.status === 'scheduled');
  expect((await call('GET', `/v1/checkouts/${checkoutId}/escrow`, storeKey)).body).toMatchObject({ status: 'accepted', acceptedBy: 'deadline' });
  const holds = await call('GET', '/v1/escrow-holds?status=accepted', OPERATOR);
  expect(holds.body.data.map((h: { checkoutId: string }) => h.checkoutId)).toContain(checkoutId);
  await ledgerBalanced();
}, 60_000);

test('the store cancels before acceptance: the payout is refunded and the shopper gets a refund link; a non-escrow order cannot be', async () => {
  const checkoutId = await paidEscrowCheckout();
  expect((await call('POST', `/v1/checkouts/${checkoutId}/cancel-order`, storeKey, {})).status).toBe(400);
  const cancelled = await call('POST', `/v1/checkouts/${checkoutId}/cancel-order`, storeKey, { reason: 'Out of stock' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ status: 'cancelled', refundAmount: '4980', releasedAmount: '0' });
  expect(await payoutOf(checkoutId)).toMatchObject({ status: 'refunded' });
  expect(await eventPayload('order.cancelled_by_store', checkoutId)).toMatchObject({ note: 'Out of stock' });
  expect((await waitUntil('refund.requested', () => eventPayload('refund.requested', checkoutId)))['refundUrl']).toMatch(/\/refunds\//);
  expect((await call('POST', `/v1/checkouts/${checkoutId}/cancel-order`, storeKey, { reason: 'again' })).status).toBe(422);

  const plain = await paidEscrowCheckout(false);
  const refused = await call('POST', `/v1/checkouts/${plain}/cancel-order`, storeKey, { reason: 'Out of stock' });
  expect([refused.status, refused.body.error.code]).toEqual([422, 'not_under_escrow']);
  await ledgerBalanced();
}, 60_000);

test('the operator dashboard shows held payouts with their deadlines, open disputes and refunds to send', async () => {
  const held = await paidEscrowCheckout();
  const disputed = await paidEscrowCheckout();
  expect((await postForm(`${await acceptPathOf(disputed)}/dispute`, { reason: 'Wrong flavour <b>sent</b>' })).status).toBe(303);
  const page = await fetch(`${gateway.listenUrl}/dashboard/escrow`, { headers: { authorization: `Bearer ${OPERATOR}` } });
  expect(page.status).toBe(200);
  const text = await page.text();
  expect(text).toContain(held);
  expect(text).toContain('data-testid="escrow-dispute"');
  expect(text).toContain('Wrong flavour &lt;b&gt;sent&lt;/b&gt;');
  expect(text).toContain('data-testid="escrow-refund"');
  expect(text).toContain('data-testid="nav-escrow"');
  expect((await fetch(`${gateway.listenUrl}/dashboard/escrow`, { redirect: 'manual' })).status).not.toBe(200);
}, 60_000);

test('store policy: escrow settings are validated, and byDefault escrows checkouts that do not say', async () => {
  expect((await call('PATCH', `/v1/stores/${storeId}/policy`, OPERATOR, { escrow: { autoAcceptDays: 0 } })).status).toBe(400);
  expect((await call('PATCH', `/v1/stores/${storeId}/policy`, OPERATOR, { escrow: { inspection: 'neighbour' } })).status).toBe(400);
  expect((await call('PATCH', `/v1/stores/${storeId}/policy`, OPERATOR, { escrow: { refundTo: 'wallet' } })).status).toBe(400);
  expect((await call('PATCH', `/v1/stores/${storeId}/policy`, OPERATOR, { escrow: { refundTo: 'address' } })).body.policy.escrow.refundTo).toBe('address');
  expect((await call('PATCH', `/v1/stores/${storeId}/policy`, OPERATOR, { escrow: { refundTo: 'shopper_balance' } })).body.policy.escrow.refundTo).toBe('shopper_balance');
  const patched = await call('PATCH', `/v1/stores/${storeId}/policy`, OPERATOR, { escrow: { byDefault: true } });
  expect(patched.body.policy.escrow).toEqual({ byDefault: true, inspection: 'shopper', autoAcceptDays: 3, refundRate: 'sale', refundTo: 'shopper_balance' });
  const order = async (body: Record<string, unknown>) => (await call('POST', '/v1/checkouts', storeKey, { orderId: `P-${Math.random()}`, amount: '100', currency: 'JPY', ...body })).body;
  // The store's cache of its policy is short-lived; wait until the change shows.
  await waitUntil('the new policy', async () => (await order({})).escrow === true, 40_000);
  expect((await order({ escrow: false })).escrow).toBe(false);
  await call('PATCH', `/v1/stores/${storeId}/policy`, OPERATOR, { escrow: { byDefault: false } });
}, 60_000);

test('a revoked carrier key no longer opens the carrier route', async () => {
  const key = await call('POST', `/v1/carriers/${carrierId}/api-keys`, OPERATOR);
  const shipmentId = (await call('GET', '/v1/shipments', storeKey)).body.data[0].id as string;
  expect((await call('POST', `/v1/shipments/${shipmentId}/events`, key.body.key, { status: 'in_transit' })).status).toBe(201);
  expect((await call('DELETE', `/v1/carriers/${carrierId}/api-keys/${key.body.id}`, storeKey)).status).toBe(403);
  const revoked = await call('DELETE', `/v1/carriers/${carrierId}/api-keys/${key.body.id}`, OPERATOR);
  expect(revoked.body).toMatchObject({ id: key.body.id, revokedAt: expect.any(String) });
  expect((await call('POST', `/v1/shipments/${shipmentId}/events`, key.body.key, { status: 'in_transit' })).status).toBe(401);
  expect((await call('POST', `/v1/shipments/${shipmentId}/events`, carrierKey, { status: 'in_transit' })).status).toBe(201);
}, 60_000);
