import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeId } from '@coinstile/core';
import { createServiceRuntime, loadConfig, type ServiceRuntime } from '@coinstile/platform';
import { type PostgresServer, type RedisServer, startPostgres, startRedis } from '@coinstile/testkit';
import { randomBytes } from 'node:crypto';
import { type RunningGateway, startGateway } from '../../src';
import { hostedPagesFor, publishCheckoutUpdate } from '../../src/pages';
import { REGTEST_TPUB, SseClient } from './support/pages-harness';

/** The hosted page mounted by the gateway itself (helmet, per-IP budget, lifecycle), as production runs it. */
let postgres: PostgresServer;
let redis: RedisServer;
let runtime: ServiceRuntime;
let gateway: RunningGateway;
let dataDir: string;
let storeId: string;
const clients: SseClient[] = [];

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  dataDir = mkdtempSync(join(tmpdir(), 'coinstile-pages-gateway-'));
  const config = loadConfig(
    {
      DATABASE_URL: await postgres.createDatabase(),
      REDIS_URL: redis.url,
      COINSTILE_DATA_DIR: dataDir,
      COINSTILE_OPERATOR_TOKEN: 'test-operator-token-0123456789abcdef',
      LOG_LEVEL: 'error',
      PUBLIC_URL: 'https://pay.example.test',
      BTC_NETWORK: 'regtest',
      LTC_NETWORK: 'regtest',
      FX_SOURCES: 'static',
      FX_STATIC_RATES: 'BTC-JPY=9000000,LTC-JPY=12000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    },
    { cwd: dataDir },
  );
  runtime = await createServiceRuntime(config, { service: 'pages-test', logDestination: { write: () => undefined } });
  gateway = await startGateway(runtime, { port: 0, hostedPages: hostedPagesFor(runtime, { pollIntervalMs: 60_000 }) });
  const store = await gateway.services.stores.create({
    name: 'Kobe Tea House',
    payoutCurrency: 'JPY',
    payoutAccount: { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Kobe Tea House KK' },
    wallets: { BTC: { xpub: REGTEST_TPUB }, LTC: { xpub: REGTEST_TPUB } },
  });
  storeId = (await gateway.services.stores.verify(store.id)).id;
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  if (runtime?.lifecycle.state === 'running') await runtime.lifecycle.shutdown('tests done');
  await Promise.allSettled([postgres?.stop(), redis?.stop()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function createCheckout(asset?: 'BTC' | 'LTC'): Promise<string> {
  const created = await gateway.services.checkouts.create(storeId as never, {
    orderId: `A-${randomBytes(3).toString('hex')}`,
    amount: '4980',
    currency: 'JPY',
    ...(asset ? { asset } : {}),
  });
  return created.body.id;
}

it('serves the page with its own CSP, HTML errors under /pay, JSON errors elsewhere', async () => {
  const id = await createCheckout('BTC');
  const page = await fetch(`${gateway.listenUrl}/pay/${id}`, { headers: { 'Accept-Language': 'ja' } });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toBe(
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  );
  const body = await page.text();
  expect(body).toContain('ウォレットで開く');
  expect(body).toMatch(/href="bitcoin:bcrt1q[a-z0-9]+\?amount=0\.00055334"/);

  const missing = await fetch(`${gateway.listenUrl}/pay/${makeId('co', Date.now(), randomBytes(10))}`);
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
  const api = await fetch(`${gateway.listenUrl}/v1/nothing-here`);
  expect(api.headers.get('content-type')).toMatch(/^application\/json/);
});

it('picks the asset with a same-origin form post through the full middleware stack', async () => {
  const id = await createCheckout();
  const res = await fetch(`${gateway.listenUrl}/pay/${id}/asset?lang=en`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: gateway.listenUrl },
    body: 'asset=LTC',
  });
  expect(res.status).toBe(303);
  const page = await (await fetch(`${gateway.listenUrl}${res.headers.get('location')}`)).text();
  expect(page).toMatch(/href="litecoin:rltc1q[a-z0-9]+\?amount=0\.415"/);
});

it('streams a published change, then ends open streams at shutdown without holding it up', async () => {
  const id = await createCheckout('BTC');
  const stream = await SseClient.open(`${gateway.listenUrl}/pay/${id}/events?since=1.pay`);
  clients.push(stream);
  expect(stream.status).toBe(200);
  await waitForSubscription(`coinstile:checkout-updates:${id}`);
  const row = await runtime.db.kysely
    .updateTable('checkouts')
    .set((eb) => ({ status: 'cancelled', version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .returning('version')
    .executeTakeFirstOrThrow();
  await expect(publishCheckoutUpdate(runtime.redis, id, row.version)).resolves.toBe(true);
  await stream.waitFor((s) => s.ended, 5_000);
  expect(stream.checkoutEvents().map((e) => [e.key, e.final])).toEqual([['2.cancelled', true]]);

  const open = await SseClient.open(`${gateway.listenUrl}/pay/${await createCheckout('BTC')}/events`);
  clients.push(open);
  await open.waitFor((s) => s.checkoutEvents().length === 1);
  const started = Date.now();
  const report = await runtime.lifecycle.shutdown('test');
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(report.clean).toBe(true);
  await open.waitFor((s) => s.ended, 2_000);
});

async function waitForSubscription(channel: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Number(((await runtime.redis.pubsub('NUMSUB', channel)) as [string, number])[1]) === 0) {
    if (Date.now() > deadline) throw new Error(`nobody subscribed to ${channel}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
