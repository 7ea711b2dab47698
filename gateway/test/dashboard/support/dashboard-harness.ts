import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextId } from '@coinstile/core';
import {
  createServiceRuntime,
  cryptoRandomSource,
  httpServerComponent,
  loadConfig,
  PIPELINE_QUEUES,
  QUEUE_PREFIX,
  type ServiceRuntime,
  systemClock,
} from '@coinstile/platform';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { PayoutOperator } from '../../../../merchant-payouts/src/batching/payout-operator';
import { createGatewayApp, createGatewayServices, ensureOperatorToken } from '../../../src';
import { dashboardFor } from '../../../src/dashboard';

export const OPERATOR_TOKEN = 'dashboard-operator-token-0123456789abcdef';

export interface DashboardHarness {
  readonly url: string;
  readonly runtime: ServiceRuntime;
  readonly logs: string[];
  /** A queue handle on the pipeline's `release-order` queue (the test's own connection). */
  readonly releaseQueue: Queue;
  stop(): Promise<void>;
}

/**
 * The whole gateway app on a real PostgreSQL and redis-server, composed as `startGateway` does, with the
 * dashboard mounted through `dashboardFor` (payout actions from merchant-payouts' `PayoutOperator`).
 */
/** `failedSignInsPerMinute`: the per-IP budget failed sign-ins spend (default the gateway's). */
export async function startDashboardHarness(opts: { publicUrl: string; failedSignInsPerMinute?: number }): Promise<DashboardHarness> {
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  let runtime: ServiceRuntime | undefined;
  let queueConnection: Redis | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'coinstile-dashboard-'));
  try {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    const config = loadConfig(
      {
        DATABASE_URL: await postgres.createDatabase(),
        REDIS_URL: redis.url,
        COINSTILE_DATA_DIR: dataDir,
        COINSTILE_OPERATOR_TOKEN: OPERATOR_TOKEN,
        LOG_LEVEL: 'warn',
        PUBLIC_URL: opts.publicUrl,
        BTC_NETWORK: 'mainnet',
        LTC_NETWORK: 'regtest',
        FX_SOURCES: 'static',
        FX_STATIC_RATES: 'BTC-USD=60000,LTC-USD=80,BTC-JPY=9000000,LTC-JPY=12000',
      },
      { cwd: dataDir },
    );
    const logs: string[] = [];
    runtime = await createServiceRuntime(config, { service: 'dashboard-test', logDestination: { write: (line) => void logs.push(line) } });
    const rt = runtime;
    await ensureOperatorToken(rt.db, { configuredToken: rt.config.operatorToken, clock: rt.clock, random: rt.random });
    const services = await createGatewayServices(rt, opts.failedSignInsPerMinute === undefined ? {} : { rateLimits: { ip: opts.failedSignInsPerMinute } });
    const dashboard = dashboardFor(rt, services, {
      payoutActions: new PayoutOperator({ db: rt.db, clock: rt.clock, random: rt.random }),
      sampleIntervalMs: 500,
    });
    const server = createGatewayApp({ ...rt, services }, { routers: [dashboard] }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    rt.lifecycle.register(httpServerComponent(server));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    queueConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const releaseQueue = new Queue(PIPELINE_QUEUES.releaseOrder, { connection: queueConnection, prefix: QUEUE_PREFIX });
    const pg = postgres;
    const rd = redis;
    const qc = queueConnection;
    return {
      url: `http://127.0.0.1:${port}`,
      runtime: rt,
      logs,
      releaseQueue,
      async stop() {
        await releaseQueue.close();
        qc.disconnect();
        await rt.lifecycle.shutdown('test over');
        await Promise.allSettled([pg.stop(), rd.stop()]);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    queueConnection?.disconnect();
    await runtime?.lifecycle.shutdown('start failed');
    await Promise.allSettled([postgres?.stop(), redis?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

export interface SeededData {
  readonly storeId: string;
  readonly storeName: string;
  readonly processingId: string;
  readonly unreleasedId: string;
  readonly releasedIds: readonly string[];
  readonly failedPayoutId: string;
  readonly sentPayoutId: string;
  readonly newCheckoutIds: readonly string[];
}

const MINUTE = 60_000;

/**
 * A store with checkouts in every interesting state: one processing (its payment first seen 2 h ago),
 * one settled 30 min ago and not released, three settled and released with payouts (failed, sent,
 * scheduled), a webhook delivery failing, and `newCount` fresh checkouts (for paging).
 */
export async function seedDashboardData(runtime: ServiceRuntime, newCount: number): Promise<SeededData> {
  const clock = systemClock();
  const random = cryptoRandomSource;
  const db = runtime.db.kysely;
  const now = Date.now();
  const at = (agoMs: number) => new Date(now - agoMs).toISOString();
  const storeId = nextId('st', clock, random);
  const storeName = 'Kobe Tea House';
  await sql`INSERT INTO stores (id, name, status, payout_currency, payout_account) VALUES (${storeId}, ${storeName}, 'active', 'JPY', '{"iban":"DE89370400440532013000"}')`.execute(db);

  let addressIndex = 0;
  const checkout = async (status: string, createdAgoMs: number, settledAgoMs: number | null, priceMinor: number) => {
    const id = nextId('co', clock, random);
    addressIndex += 1;
    await sql`INSERT INTO checkouts (id, store_id, order_id, price_minor, currency, asset, address, amount_due_base, status,
        amount_paid_base, created_at, expires_at, monitoring_until, settled_at)
      VALUES (${id}, ${storeId}, ${`A-${1000 + addressIndex}`}, ${priceMinor}, 'JPY', 'LTC', ${`rltc1qtest${addressIndex}`}, 41500000, ${status},
        ${status === 'new' ? 0 : 41500000}, ${at(createdAgoMs)}, ${at(createdAgoMs - 15 * MINUTE)}, ${at(createdAgoMs - 24 * 60 * MINUTE)},
        ${settledAgoMs === null ? null : at(settledAgoMs)})`.execute(db);
    return id;
  };
  const payment = async (checkoutId: string, firstSeenAgoMs: number, confirmations: number) => {
    const id = nextId('pay', clock, random);
    await sql`INSERT INTO payments (id, checkout_id, chain, asset, txid, output_index, amount_base, confirmations, state, first_seen_at, updated_at)
      VALUES (${id}, ${checkoutId}, 'LTC', 'LTC', ${`${'ab'.repeat(31)}${String(addressIndex).padStart(2, '0')}`}, 0, 41500000, ${confirmations},
        ${confirmations > 0 ? 'confirmed' : 'pending'}, ${at(firstSeenAgoMs)}, ${at(firstSeenAgoMs)})`.execute(db);
  };

  const processingId = await checkout('processing', 130 * MINUTE, null, 4980);
  await payment(processingId, 120 * MINUTE, 0);
  const unreleasedId = await checkout('settled', 40 * MINUTE, 30 * MINUTE, 12000);
  await payment(unreleasedId, 35 * MINUTE, 2);

  const releasedIds: string[] = [];
  const payoutIds: string[] = [];
  for (const [i, payoutStatus] of (['failed', 'sent', 'scheduled'] as const).entries()) {
    const id = await checkout('settled', (90 + i) * MINUTE, (80 + i) * MINUTE, 4980 + i * 1000);
    await payment(id, (85 + i) * MINUTE - (i + 1) * 7_000, 2);
    await sql`INSERT INTO order_releases (checkout_id, store_id, event_id, currency, price_minor, fee_minor, escrow, released_at)
      VALUES (${id}, ${storeId}, ${`${id}:order.released`}, 'JPY', ${4980 + i * 1000}, 100, false, ${at((79 + i) * MINUTE)})`.execute(db);
    const payoutId = nextId('po', clock, random);
    await sql`INSERT INTO payouts (id, store_id, checkout_id, amount_minor, fee_minor, currency, status, provider, failure_reason, created_at, updated_at)
      VALUES (${payoutId}, ${storeId}, ${id}, ${4880 + i * 1000}, 100, 'JPY', ${payoutStatus}, 'manual',
        ${payoutStatus === 'failed' ? 'Account closed (AC04)' : null}, ${at(79 * MINUTE)}, ${at((50 - i * 10) * MINUTE)})`.execute(db);
    await sql`INSERT INTO outbox (event_id, event_type, aggregate_type, aggregate_id, payload, published_at)
      VALUES (${`${id}:order.released`}, 'order.released', 'checkout', ${id}, '{}', now())`.execute(db);
    releasedIds.push(id);
    payoutIds.push(payoutId);
  }

  const endpointId = nextId('wh', clock, random);
  await sql`INSERT INTO webhook_endpoints (id, store_id, url, secret) VALUES (${endpointId}, ${storeId}, 'https://shop.example.test/hooks', 'whsec_test')`.execute(db);
  const firstReleased = releasedIds[0] ?? '';
  await sql`INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, attempts, status, http_status, error, next_attempt_at, created_at,
      sequence, ordering_key, store_id, body)
    VALUES (${nextId('whd', clock, random)}, ${endpointId}, ${`${firstReleased}:order.released`}, 'order.released', 3, 'pending', 500, 'HTTP 500',
      ${at(-5 * MINUTE)}, ${at(45 * MINUTE)}, 1, ${firstReleased}, ${storeId}, '{}')`.execute(db);

  await sql`INSERT INTO operator_notices (kind, subject_type, subject_id, message)
    VALUES ('webhook_endpoint_disabled', 'webhook_endpoint', ${endpointId}, 'Endpoint disabled after 3 days of failures')`.execute(db);

  await sql`INSERT INTO chain_cursors (chain, height, block_hash) VALUES ('LTC', 2016, ${'0f'.repeat(32)})`.execute(db);

  const newCheckoutIds: string[] = [];
  for (let i = 0; i < newCount; i++) newCheckoutIds.push(await checkout('new', 5 * MINUTE - i * 1000, null, 1000 + i));
  return {
    storeId,
    storeName,
    processingId,
    unreleasedId,
    releasedIds,
    failedPayoutId: payoutIds[0] ?? '',
    sentPayoutId: payoutIds[1] ?? '',
    newCheckoutIds,
  };
}

/**
 * Adds a job to `queue` and fails it through a worker, so it sits in the failed set with `reason`. The
 * job is added LIFO (taken before the waiting ones) and processed by hand (`getNextJob`, then
 * `moveToFailed` without fetching the next), so no other job of the queue is touched.
 */
export async function failOneJob(queue: Queue, redisUrl: string, reason: string): Promise<string> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(queue.name, null, { connection, prefix: QUEUE_PREFIX, autorun: false });
  try {
    const added = await queue.add(
      'checkout.settled',
      { eventId: 'evt_dashboard_test', eventType: 'checkout.settled', aggregateType: 'checkout', aggregateId: 'co_dashboardtest' },
      { attempts: 1, lifo: true, jobId: `dashboard-test-${randomUUID()}` },
    );
    const token = randomUUID();
    const job = await worker.getNextJob(token, { block: false });
    if (job?.id !== added.id) throw new Error(`expected to take job ${added.id}, took ${job?.id}`);
    await job.moveToFailed(new Error(reason), token, false);
    return String(added.id);
  } finally {
    await worker.close();
    connection.disconnect();
  }
}
