import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fxConversion, fxSpreadRevenue, mallCryptoHoldings, mallFeeRevenue, storeEscrow, storePayable } from '@coinstile/core';
import { Redis } from 'ioredis';
import { CHECKOUT_UPDATE_CHANNEL_PREFIX, checkoutUpdateChannel, createServiceRuntime, LedgerRepository, loadConfig, type ServiceRuntime } from '@coinstile/platform';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import { startWebhookDelivery, verifyWebhookSignature, WebhookStore } from '../../gateway/src/webhooks';
import { createReceiptSigner, PipelineRefusedError, pipelineKysely, startPayouts, verifyReceipt, type RunningPayouts } from '../src';
import { insertStore, newId, settleCheckout, startWebhookReceiver, waitUntil, type WebhookReceiver } from './support/pipeline-fixtures';

describe.each(['postgres', 'pglite'] as const)('settlement pipeline end to end [%s]', (engine) => {
  let postgres: PostgresServer | undefined;
  let redis: RedisServer;
  let runtime: ServiceRuntime;
  let receiver: WebhookReceiver;
  let dataDir: string;
  let pipeline: RunningPayouts;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([engine === 'postgres' ? startPostgres() : undefined, startRedis()]);
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-pipeline-e2e-'));
    // Without DATABASE_URL the runtime opens embedded PGlite in the data folder, as `npm start` does.
    const database = postgres ? { DATABASE_URL: await postgres.createDatabase() } : {};
    const config = loadConfig(
      { ...database, REDIS_URL: redis.url, COINSTILE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', WEBHOOK_ALLOW_PRIVATE: 'true' },
      { cwd: dataDir },
    );
    runtime = await createServiceRuntime(config, { service: 'pipeline-e2e' });
    pipeline = startPayouts(runtime, { relayPollIntervalMs: 20 });
    startWebhookDelivery(runtime, { pollIntervalMs: 50 });
    receiver = await startWebhookReceiver();
  }, 60_000);

  afterAll(async () => {
    await runtime?.lifecycle.shutdown('test done');
    await receiver?.close();
    await Promise.all([postgres?.stop(), redis?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('settled → released once → signed order.released at the store → balanced ledger → one scheduled payout', async () => {
    const db = pipelineKysely(runtime.db);
    const storeId = await insertStore(runtime.db, { feeBps: 150, feeFixedMinor: 10n });
    const { secret } = await new WebhookStore(runtime.db, runtime.clock, runtime.random).createEndpoint(storeId, {
      url: receiver.url,
      eventTypes: [],
      description: 'shop',
    });
    // Store portal inboxes listen on the checkouts' update channels: each release is announced there.
    const announced: string[] = [];
    const subscriber = new Redis(redis.url);
    subscriber.on('pmessage', (_pattern: string, channel: string) => announced.push(channel));
    await subscriber.psubscribe(`${CHECKOUT_UPDATE_CHANNEL_PREFIX}*`);
    const checkoutId = await settleCheckout(runtime.db, storeId, { priceMinor: 4980n, spreadBps: 50 });
    const escrowId = await settleCheckout(runtime.db, storeId, { priceMinor: 10_000n, spreadBps: 0, escrow: true });
    await waitUntil(() => announced.includes(checkoutUpdateChannel(checkoutId)) && announced.includes(checkoutUpdateChannel(escrowId)), 20_000, 'releases announced');
    subscriber.disconnect();

    const typesFor = (id: string) =>
      receiver.received.map((h) => JSON.parse(h.rawBody) as { type: string; data: { checkoutId?: string } }).filter((e) => e.data.checkoutId === id).map((e) => e.type);
    await waitUntil(() => typesFor(checkoutId).includes('payout.scheduled') && typesFor(escrowId).includes('payout.reserved'), 20_000, 'both payouts announced');

    // Per checkout, the store hears the events in causal order.
    expect(typesFor(checkoutId)).toEqual(['checkout.processing', 'checkout.settled', 'order.released', 'payout.scheduled']);
    expect(typesFor(escrowId)).toEqual(['checkout.processing', 'checkout.settled', 'order.released', 'payout.reserved']);

    const released = receiver.received.find((h) => h.rawBody.includes('"order.released"') && h.rawBody.includes(checkoutId))!;
    expect(verifyWebhookSignature(released.rawBody, released.headers['coinstile-signature'] as string, secret)).toBe(true);
    const event = JSON.parse(released.rawBody) as { id: string; type: string; data: Record<string, unknown> };
    expect(event.id).toBe(`${checkoutId}:order.released`);
    expect(released.headers['coinstile-event-id']).toBe(event.id);
    const checkoutRow = await db.selectFrom('checkouts').select(['order_id', 'amount_paid_base']).where('id', '=', checkoutId).executeTakeFirstOrThrow();
    const payment = await db.selectFrom('payments').select(['txid']).where('checkout_id', '=', checkoutId).executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({
      storeId,
      checkoutId,
      orderId: checkoutRow.order_id,
      items: [{ sku: 'TEA-1', quantity: 2 }],
      priceMinor: '4980',
      currency: 'JPY',
      asset: 'BTC',
      amountReceivedBase: checkoutRow.amount_paid_base,
      txids: [payment.txid],
      feeMinor: '84',
      netMinor: '4896',
      escrow: false,
    });
    // The release carries the store's receipt, verifiable offline against the published keys.
    const signer = await createReceiptSigner({ db: runtime.db, issuer: runtime.config.publicUrl, clock: runtime.clock, random: runtime.random });
    const claims = verifyReceipt(event.data.receipt as string, await signer.keys.publishedKeys(), { expectedStoreId: storeId });
    expect(claims).toMatchObject({ sub: checkoutId, storeId, orderId: checkoutRow.order_id, priceMinor: '4980', currency: 'JPY', txids: [payment.txid] });

    // Exactly one release and one payout per checkout, net of 1.5 % + 10.
    const releases = await db.selectFrom('order_releases').selectAll().execute();
    expect(releases.map((r) => r.checkout_id).sort()).toEqual([checkoutId, escrowId].sort());
    const payouts = await db.selectFrom('payouts').selectAll().orderBy('amount_minor').execute();
    expect(payouts.map((p) => [p.checkout_id, p.amount_minor, p.fee_minor, p.status, p.due_at !== null])).toEqual([
      [checkoutId, '4896', '84', 'scheduled', true],
      [escrowId, '9840', '160', 'reserved', false],
    ]);

    // The ledger balances per currency; the store is owed the net, the mall earned fee and spread.
    const ledger = new LedgerRepository(runtime.db);
    for (const [currency, total] of await ledger.trialBalance()) expect([currency, total]).toEqual([currency, 0n]);
    const balances = await ledger.balances();
    expect(balances.get(storePayable(storeId))?.get('JPY' as never)).toBe(-4896n);
    expect(balances.get(storeEscrow(storeId))?.get('JPY' as never)).toBe(-9840n);
    expect(balances.get(mallFeeRevenue())?.get('JPY' as never)).toBe(-(84n + 160n));
    expect(balances.get(fxSpreadRevenue())?.get('JPY' as never)).toBe(-25n); // 4980 × 0.005 / 0.995
    expect(balances.get(mallCryptoHoldings('BTC'))?.get('BTC')).toBeGreaterThan(0n);
    expect(balances.get(fxConversion())?.get('JPY' as never)).toBe(4980n + 25n + 10_000n);

    // Publishing every event again (a relay crash before its commit) changes nothing.
    await runtime.db.kysely.updateTable('outbox').set({ published_at: null }).execute();
    await waitUntil(async () => (await runtime.db.kysely.selectFrom('outbox').select('id').where('published_at', 'is', null).execute()).length === 0, 10_000, 'the re-publish');
    await new Promise((r) => setTimeout(r, 500));
    expect(await db.selectFrom('order_releases').select('checkout_id').execute()).toHaveLength(2);
    expect(await db.selectFrom('payouts').select('id').execute()).toHaveLength(2);
    expect(await db.selectFrom('ledger_postings').select('id').execute()).toHaveLength(2);
  }, 60_000);

  test('the sweeper releases and schedules work the queues never delivered', async () => {
    const storeId = await insertStore(runtime.db, { feeBps: 0, feeFixedMinor: 0n, schedule: { kind: 'threshold', minimumMinor: 7_000n } });
    // Settled while the relay is stopped, its outbox rows then marked published: as if the job was lost with Redis.
    await pipeline.relay!.stop();
    const checkoutId = await settleCheckout(runtime.db, storeId, { priceMinor: 5_000n });
    await runtime.db.kysely.updateTable('outbox').set({ published_at: new Date() }).where('aggregate_id', '=', checkoutId).execute();
    pipeline.relay!.start();
    const payouts = startPayouts(runtime, { relay: false, sweepIntervalMs: 3_600_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await pipelineKysely(runtime.db).selectFrom('order_releases').select('checkout_id').where('checkout_id', '=', checkoutId).execute()).toHaveLength(0);
    // Within the grace period the sweeper leaves the work to the queues.
    expect(await payouts.sweeper.sweep(new Date())).toEqual({ released: 0, scheduled: 0 });
    expect(await payouts.sweeper.sweep(new Date(Date.now() + 120_000))).toEqual({ released: 1, scheduled: 0 });
    expect(await payouts.sweeper.sweep(new Date(Date.now() + 120_000))).toEqual({ released: 0, scheduled: 0 });
    const db = pipelineKysely(runtime.db);
    const first = await db.selectFrom('payouts').selectAll().where('checkout_id', '=', checkoutId).executeTakeFirstOrThrow();
    // Threshold 7,000: 5,000 waits; a second sale crosses it and both fall due together.
    expect([first.status, first.due_at]).toEqual(['scheduled', null]);
    const second = await settleCheckout(runtime.db, storeId, { priceMinor: 2_500n });
    await waitUntil(async () => (await db.selectFrom('payouts').select('id').where('checkout_id', '=', second).execute()).length === 1, 20_000, 'the second payout');
    const due = await db.selectFrom('payouts').select(['checkout_id', 'due_at']).where('store_id', '=', storeId).execute();
    expect(due.every((p) => p.due_at !== null)).toBe(true);
  }, 60_000);

  test('a group-committed batch gives each checkout its own outcome; refusals never fail the others', async () => {
    const storeId = await insertStore(runtime.db, { feeBps: 0, feeFixedMinor: 0n });
    await pipeline.relay!.stop();
    try {
      const a = await settleCheckout(runtime.db, storeId);
      const b = await settleCheckout(runtime.db, storeId, { escrow: true });
      const unknown = newId('co');
      await runtime.db.kysely.updateTable('checkouts').set({ status: 'expired' }).where('id', '=', b).execute();
      const results = await pipeline.processor.processMany([a, unknown, b, a]);
      expect(results.get(a)).toEqual({ release: 'released', payout: 'scheduled' });
      expect(results.get(unknown)).toBeInstanceOf(PipelineRefusedError);
      expect((results.get(unknown) as PipelineRefusedError).reason).toBe('unknown_checkout');
      expect((results.get(b) as PipelineRefusedError).reason).toBe('checkout_not_settled');
      const again = await pipeline.processor.processMany([a]);
      expect(again.get(a)).toEqual({ release: 'already_released', payout: 'already_scheduled' });
      const db = pipelineKysely(runtime.db);
      expect(await db.selectFrom('payouts').select('id').where('checkout_id', 'in', [a, b]).execute()).toHaveLength(1);
    } finally {
      pipeline.relay!.start();
    }
  }, 30_000);

  test('concurrent batches on one threshold store: no deadlock, every payout falls due once the totals cross', async () => {
    const storeId = await insertStore(runtime.db, { feeBps: 0, feeFixedMinor: 0n, schedule: { kind: 'threshold', minimumMinor: 10_000n } });
    await pipeline.relay!.stop();
    try {
      const ids = [];
      for (let i = 0; i < 20; i++) ids.push(await settleCheckout(runtime.db, storeId, { priceMinor: 1_000n }));
      const results = await Promise.all(ids.map((id) => pipeline.processor.processMany([id])));
      expect(results.every((r) => !(([...r.values()][0]) instanceof Error))).toBe(true);
      const payouts = await pipelineKysely(runtime.db).selectFrom('payouts').select(['amount_minor', 'due_at']).where('store_id', '=', storeId).execute();
      expect(payouts).toHaveLength(20);
      expect(payouts.filter((p) => p.due_at === null)).toEqual([]);
    } finally {
      pipeline.relay!.start();
    }
  }, 30_000);
});
