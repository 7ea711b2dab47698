/**
 * Settlement pipeline throughput (goal ≥ 1,000 settlements/s sustained, from `settled` to payout
 * scheduled), beside BullMQ's raw add+process rate on the same Redis.
 *
 *  1. BullMQ baseline: `addBulk` of no-op jobs and a worker (same concurrency as the pipeline) processing them, on the
 *     same redis-server: the ceiling of any one-job-per-step pipeline on this machine.
 *  2. The pipeline as deployed: a real PostgreSQL server (testkit) and redis-server (AOF everysec), one
 *     process running `startPayouts` (outbox relay, release-order worker, sweeper) and
 *     `startWebhookDelivery` (fan-out, dispatcher). A backlog of `PIPELINE_BENCH_CHECKOUTS` checkouts is
 *     written as the wallet verifier leaves them (status `settled`, confirmed payment, `checkout.settled`
 *     in the outbox), then the pipeline starts and the bench samples the payouts table every second until
 *     every checkout has its payout. Reported: the rate over the whole run and per-second samples.
 *     Each settlement is one `release-order` job and a share of one group-committed transaction (the jobs
 *     running at once: releases, settlement postings, payouts and both events in a constant number of
 *     statements, the ledger's balance checked once per statement), plus its share of the batched
 *     webhook fan-out jobs.
 *
 * Run: `npm run bench:pipeline` (builds, then runs this file with ts-node against the built workspaces).
 * `PIPELINE_BENCH_CHECKOUTS` (default 20000) and `PIPELINE_BENCH_CONCURRENCY` (worker concurrency, default
 * 128). One pipeline process, as the embedded default runs it.
 */
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ID_RANDOM_BYTES, makeId, type IdPrefix } from '@coinstile/core';
import { startWebhookDelivery } from '../gateway/src/webhooks';
import { startPayouts } from '@coinstile/merchant-payouts';
import { createRedisConnection, createServiceRuntime, loadConfig, migrateToLatest, openDatabase, QUEUE_PREFIX } from '@coinstile/platform';
import { startPostgres, startRedis } from '@coinstile/testkit';
import { Queue, Worker } from 'bullmq';
import { sql } from 'kysely';

const CHECKOUTS = Number(process.env['PIPELINE_BENCH_CHECKOUTS'] ?? 20_000);
const CONCURRENCY = Number(process.env['PIPELINE_BENCH_CONCURRENCY'] ?? 128);

const id = <P extends IdPrefix>(prefix: P, ms = Date.now()) => makeId(prefix, ms, randomBytes(ID_RANDOM_BYTES));

async function bullmqBaseline(redisUrl: string, jobs: number): Promise<number> {
  const producer = createRedisConnection(redisUrl, 'worker');
  const consumer = createRedisConnection(redisUrl, 'worker');
  const queue = new Queue('bench-raw', { connection: producer, prefix: QUEUE_PREFIX, defaultJobOptions: { removeOnComplete: { count: 100_000 } } });
  let processed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const startedAt = performance.now();
  const worker = new Worker(
    'bench-raw',
    async () => {
      processed += 1;
      if (processed === jobs) resolveDone();
    },
    { connection: consumer, prefix: QUEUE_PREFIX, concurrency: CONCURRENCY, removeOnComplete: { count: 100_000 } },
  );
  for (let i = 0; i < jobs; i += 500) {
    await queue.addBulk(Array.from({ length: Math.min(500, jobs - i) }, (_, j) => ({ name: 'noop', data: { n: i + j }, opts: { jobId: `raw-${i + j}` } })));
  }
  await done;
  const seconds = (performance.now() - startedAt) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  producer.disconnect();
  consumer.disconnect();
  return jobs / seconds;
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`);
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis({ appendfsync: 'everysec' })]);
  const dataDir = mkdtempSync(join(tmpdir(), 'coinstile-bench-pipeline-'));
  try {
    const rawRate = await bullmqBaseline(redis.url, 50_000);
    console.log(`BullMQ raw add+process (no-op jobs, concurrency ${CONCURRENCY}): ${Math.round(rawRate)} jobs/s`);

    const databaseUrl = await postgres.createDatabase();
    const seed = await openDatabase({ url: databaseUrl, poolSize: 8 });
    await migrateToLatest(seed);
    const storeIds = [id('st'), id('st'), id('st')];
    for (let i = 0; i < storeIds.length; i++) {
      const storeId = storeIds[i]!;
      await seed.kysely
        .insertInto('stores')
        .values({
          id: storeId,
          name: `Bench store ${i}`,
          status: 'active',
          payout_currency: 'JPY',
          payout_account: JSON.stringify({ iban: 'DE89370400440532013000', holderName: 'Bench' }),
          fee_bps: 150,
          fee_fixed_minor: '10',
        })
        .execute();
    }
    const seedStartedAt = Date.now();
    const CHUNK = 1_000;
    for (let start = 0; start < CHECKOUTS; start += CHUNK) {
      const now = new Date();
      const rows = Array.from({ length: Math.min(CHUNK, CHECKOUTS - start) }, (_, j) => {
        const storeId = storeIds[(start + j) % storeIds.length]!;
        return { storeId, checkoutId: id('co'), quoteId: id('qt'), paymentId: id('pay'), due: 55_313n + BigInt(j), price: 4_980n + BigInt(j % 100) };
      });
      await seed.transaction(async (trx) => {
        await trx
          .insertInto('quotes')
          .values(rows.map((r) => ({
            id: r.quoteId, store_id: r.storeId, base_asset: 'BTC', quote_currency: 'JPY', rate: '9003412', spread_bps: 50,
            sources: '[]', amount_due_base: r.due.toString(), price_minor: r.price.toString(), created_at: now, expires_at: new Date(now.getTime() + 900_000),
          })))
          .execute();
        await trx
          .insertInto('checkouts')
          .values(rows.map((r) => ({
            id: r.checkoutId, store_id: r.storeId, order_id: `B-${r.checkoutId.slice(-8)}`, price_minor: r.price.toString(), currency: 'JPY',
            asset: 'BTC', address: `bench_${r.checkoutId}`, amount_due_base: r.due.toString(), quote_id: r.quoteId, rate: '9003412',
            quote_expires_at: new Date(now.getTime() + 900_000), status: 'settled' as const, amount_paid_base: r.due.toString(),
            counted_payment_ids: [r.paymentId], version: 2, created_at: now, expires_at: new Date(now.getTime() + 900_000),
            monitoring_until: new Date(now.getTime() + 86_400_000), settled_at: now,
          })))
          .execute();
        await trx
          .insertInto('payments')
          .values(rows.map((r) => ({
            id: r.paymentId, checkout_id: r.checkoutId, chain: 'bitcoin', asset: 'BTC', txid: randomBytes(32).toString('hex'), output_index: 0,
            amount_base: r.due.toString(), confirmations: 6, state: 'confirmed' as const, first_seen_at: now, updated_at: now,
          })))
          .execute();
        await trx
          .insertInto('outbox')
          .values(rows.map((r) => ({
            event_id: `${r.checkoutId}:checkout.settled:2`, event_type: 'checkout.settled', aggregate_type: 'checkout', aggregate_id: r.checkoutId,
            payload: JSON.stringify({ type: 'checkout.settled', storeId: r.storeId, checkoutId: r.checkoutId, status: 'settled', priceMinor: r.price.toString(), currency: 'JPY' }),
          })))
          .execute();
      });
    }
    console.log(`seeded ${CHECKOUTS} settled checkouts in ${((Date.now() - seedStartedAt) / 1000).toFixed(1)} s`);
    await seed.close();

    const config = loadConfig({ DATABASE_URL: databaseUrl, REDIS_URL: redis.url, COINSTILE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, { cwd: dataDir });
    const runtime = await createServiceRuntime(config, { service: 'bench-pipeline', migrate: false });
    const startedAt = performance.now();
    const cpuBefore = process.cpuUsage();
    startPayouts(runtime, { concurrency: CONCURRENCY, relayBatchSize: 1_000, relayPollIntervalMs: 20 });
    startWebhookDelivery(runtime);
    const samples: number[] = [];
    let last = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1_000));
      const row = await sql<{ n: string }>`select count(*) as n from payouts`.execute(runtime.db.kysely);
      const n = Number(row.rows[0]?.n ?? 0);
      samples.push(n - last);
      last = n;
      if (n >= CHECKOUTS) break;
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const releases = await sql<{ n: string }>`select count(*) as n from order_releases`.execute(runtime.db.kysely);
    const trial = await sql<{ currency: string; total: string }>`select currency, sum(amount) as total from ledger_entries group by currency`.execute(runtime.db.kysely);
    await runtime.lifecycle.shutdown('bench done');
    const steady = samples.slice(1, -1).sort((a, b) => a - b);
    console.log(
      `pipeline: ${CHECKOUTS} settlements → ${releases.rows[0]?.n} releases and ${CHECKOUTS} scheduled payouts in ${seconds.toFixed(1)} s = ` +
        `${Math.round(CHECKOUTS / seconds)} settlements/s (worker concurrency ${CONCURRENCY}, one process)`,
    );
    console.log(
      `pipeline process CPU: ${((cpu.user + cpu.system) / CHECKOUTS).toFixed(0)} µs per settlement (${((cpu.user + cpu.system) / 1e6 / seconds).toFixed(2)} cores busy); ` +
        `ratio to raw BullMQ jobs/s: ${(CHECKOUTS / seconds / rawRate).toFixed(2)}`,
    );
    console.log(`per-second samples: min ${steady[0]}, median ${steady[Math.floor(steady.length / 2)]}, max ${steady[steady.length - 1]} (${samples.join(' ')})`);
    console.log(`ledger per currency: ${trial.rows.map((r) => `${r.currency} ${r.total}`).join(', ')}`);
  } finally {
    await Promise.all([postgres.stop(), redis.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
