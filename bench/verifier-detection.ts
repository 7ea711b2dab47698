/**
 * Detection latency, DESIGN.md's target end to end: one regtest block pays N checkouts (N = 100, 1,000,
 * 5,000); per checkout, the time from the moment litecoind has the block (`generatetoaddress` returned) to
 * (a) the checkout `settled` (its `settled_at`, committed with the `checkout.settled` outbox row) and
 * (b) its `order.released` webhook received by the store's HTTP endpoint. Goal: p99 of (b) ≤ 500 ms.
 *
 * Everything runs as `npm start` runs it, in this one process on a real PostgreSQL server and
 * redis-server (testkit): `startVerifier` (the LTC follower from `LTC_RPC_URL`, the expiry sweeper),
 * `startPayouts` (outbox relay, `release-order` worker, sweeper), `startPayoutBatching` (bank files) and
 * `startWebhookDelivery` (fan-out and dispatcher), all on their default options. The store's webhook
 * endpoint (subscribed to `order.released`) is a plain Node HTTP server in a child process, which notes
 * when each delivery arrived. The payments are seen in the mempool first (→ `processing`), as in life;
 * medium_speed (1 confirmation).
 *
 * Run: `npm run bench:detection` (builds, then runs this file). `VERIFIER_DETECTION_SIZES` overrides the
 * list of N (comma separated); `VERIFIER_DETECTION_ROUNDS` repeats each size (default 1); `BENCH_LOG_LEVEL`
 * the services' log level (default warn); `VERIFIER_DETECTION_CPU_PROFILE=<dir>` writes a CPU profile of this
 * process per block (block → last webhook) as `detection-<N>-<round>.cpuprofile`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { HDNodeWallet } from 'ethers';
import { createCheckout, DEFAULT_STORE_POLICY, ID_RANDOM_BYTES, makeId, parseFiatCurrency, type CheckoutId, type CheckoutStatus } from '@coinstile/core';
import { CheckoutRepository, createServiceRuntime, loadConfig, type DB } from '@coinstile/platform';
import { sql, type Kysely } from 'kysely';
import { startLitecoind, startPostgres, startRedis } from '@coinstile/testkit';
import { payoutSetupFromEnv, startPayoutBatching, startPayouts } from '@coinstile/merchant-payouts';
import { deriveAddress, parseReceivingWallet, startVerifier } from '@coinstile/wallet-verifier';
// Internal to wallet-verifier and gateway (not in their public APIs); the compiled modules, as every import here.
import { decodeExtendedPublicKey, encodeExtendedPublicKey } from '@coinstile/wallet-verifier/dist/addresses/extended-public-key';
import { startWebhookDelivery, WebhookStore } from '@coinstile/gateway/dist/webhooks';
import { percentile } from './bench-support';
import { startReceiver } from './webhook-receiver';

const SIZES = (process.env['VERIFIER_DETECTION_SIZES'] ?? '100,1000,5000').split(',').map(Number);
const ROUNDS = Number(process.env['VERIFIER_DETECTION_ROUNDS'] ?? 1);
const OUTPUTS_PER_TX = 1_000;
/** A directory: each block's CPU profile of this process (block → last webhook) is written there. */
const CPU_PROFILE_DIR = process.env['VERIFIER_DETECTION_CPU_PROFILE'];


/**
 * CPU seconds (user + system) used so far by this process and every process below it (PostgreSQL and its
 * backends, redis-server, litecoind, the receiver), including descendants that already exited and were
 * reaped: the whole stack's work, whatever else loads the machine.
 */
function stackCpuSeconds(): Map<string, number> {
  const ticks = 100; // USER_HZ on Linux
  const stats = new Map<number, { ppid: number; name: string; own: number; reaped: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      stats.set(Number(entry), { ppid: Number(fields[1]), name: name.startsWith('postgres') ? 'postgres' : name, own: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) });
    } catch {
      // The process ended while /proc was read.
    }
  }
  const children = new Map<number, number[]>();
  stats.forEach((st, pid) => children.set(st.ppid, [...(children.get(st.ppid) ?? []), pid]));
  const byName = new Map<string, number>();
  const pending = [process.pid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const st = stats.get(pid);
    // A process's reaped children are counted as its own (PostgreSQL backends that ended: postgres).
    if (st !== undefined) byName.set(pid === process.pid ? 'bench (verifier + pipeline)' : st.name, (byName.get(pid === process.pid ? 'bench (verifier + pipeline)' : st.name) ?? 0) + (st.own + st.reaped) / ticks);
    pending.push(...(children.get(pid) ?? []));
  }
  return byName;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface SizeResult {
  readonly checkouts: number;
  readonly round: number;
  readonly settled: { p50Ms: number; p99Ms: number; maxMs: number };
  readonly webhook: { p50Ms: number; p99Ms: number; maxMs: number };
  /** p99 of each intermediate step after the block (where the time goes). */
  readonly stages: Record<string, number>;
  /** CPU seconds the whole stack used from the block to the last webhook, and per checkout. */
  readonly stackCpu: { seconds: number; msPerCheckout: number; wallSeconds: number; byProcess: Record<string, number> };
}

/**
 * p99 (ms after the block) of the steps between settled and the webhook: `checkout.settled` published to
 * the queue, the order released (`order_releases`), its `order.released` event published, its delivery row.
 */
async function stageTimes(kysely: Kysely<DB>, ids: readonly CheckoutId[], minedAt: number): Promise<Record<string, number>> {
  const p99 = (dates: readonly (Date | null)[]): number => percentile(dates.map((d) => (d === null ? Infinity : d.getTime() - minedAt)).sort((a, b) => a - b), 99);
  const settledEvents = await kysely.selectFrom('outbox').select('published_at').where('aggregate_id', 'in', [...ids]).where('event_type', '=', 'checkout.settled').execute();
  const releases = await sql<{ released_at: Date }>`SELECT released_at FROM order_releases WHERE checkout_id = ANY(${[...ids]}::text[])`.execute(kysely);
  const releasedEvents = await kysely.selectFrom('outbox').select('published_at').where('aggregate_id', 'in', [...ids]).where('event_type', '=', 'order.released').execute();
  const deliveries = await sql<{ created_at: Date }>`
    SELECT created_at FROM webhook_deliveries WHERE event_id = ANY(${ids.map((id) => `${id}:order.released`)}::text[])`.execute(kysely);
  return {
    settledPublishedP99Ms: p99(settledEvents.map((r) => r.published_at)),
    releasedP99Ms: p99(releases.rows.map((r) => r.released_at)),
    releasedPublishedP99Ms: p99(releasedEvents.map((r) => r.published_at)),
    deliveryRowP99Ms: p99(deliveries.rows.map((r) => r.created_at)),
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function summary(latencies: number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1]! };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((l) => l.toFixed(1));
  const [node, pg, redis, receiver] = await Promise.all([startLitecoind(), startPostgres(), startRedis({ appendfsync: 'everysec' }), startReceiver()]);
  const dataDir = mkdtempSync(join(tmpdir(), 'coinstile-bench-detection-'));
  const results: SizeResult[] = [];
  try {
    const databaseUrl = await pg.createDatabase();
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      COINSTILE_DATA_DIR: dataDir,
      LTC_RPC_URL: node.rpcUrl,
      LTC_NETWORK: 'regtest',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn',
    };
    const config = loadConfig(env, { cwd: dataDir });
    const runtime = await createServiceRuntime(config, { service: 'bench-detection' });
    try {
      // Coins for thousands of outputs: mature a few hundred more coinbases.
      await node.mine(300);
      const { db, clock } = runtime;
      const storeId = makeId('st', Date.now(), randomBytes(ID_RANDOM_BYTES));
      await db.kysely
        .insertInto('stores')
        .values({
          id: storeId,
          name: 'Bench store',
          status: 'active',
          payout_currency: 'JPY',
          payout_account: JSON.stringify({ iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', holderName: 'Bench store' }),
          policy: JSON.stringify(DEFAULT_STORE_POLICY),
          fee_bps: 150,
          fee_fixed_minor: '10',
        })
        .execute();
      await new WebhookStore(db, clock, runtime.random).createEndpoint(storeId, { url: receiver.url, eventTypes: ['order.released'], description: 'bench receiver' });

      // The processes of `npm start` (cli run-service: startVerifier, then startPipeline).
      await startVerifier(runtime);
      startPayouts(runtime);
      startPayoutBatching(runtime, payoutSetupFromEnv({ PAYOUT_DEBTOR_NAME: 'Bench mall', PAYOUT_DEBTOR_IBAN: 'DE89370400440532013000', PAYOUT_DEBTOR_BIC: 'COBADEFFXXX' }, dataDir, clock));
      startWebhookDelivery(runtime, { allowPrivateTargets: true });

      const root = HDNodeWallet.fromSeed(randomBytes(32));
      const tpub = encodeExtendedPublicKey(decodeExtendedPublicKey(root.derivePath("m/84'/1'/0'").neuter().extendedKey), 0x043587cf);
      const wallet = parseReceivingWallet('LTC', 'regtest', tpub);
      const checkouts = new CheckoutRepository(db);
      let index = 0;

      for (let round = 1; round <= ROUNDS; round++) {
        for (const n of SIZES) {
          const batch: { id: CheckoutId; address: string }[] = [];
          const now = clock.now();
          const quoteExpiresAt = new Date(now.getTime() + 15 * 60_000);
          for (let i = 0; i < n; i++, index++) {
            const address = deriveAddress(wallet, index);
            const quoteId = makeId('qt', now.getTime(), randomBytes(ID_RANDOM_BYTES));
            await db.kysely
              .insertInto('quotes')
              .values({ id: quoteId, store_id: storeId, base_asset: 'LTC', quote_currency: 'JPY', rate: '1000000', spread_bps: 50, sources: '[]', amount_due_base: '100000', price_minor: '1000', created_at: now, expires_at: quoteExpiresAt })
              .execute();
            const c = createCheckout({
              id: makeId('co', now.getTime(), randomBytes(ID_RANDOM_BYTES)),
              storeId,
              orderId: `bench-${index}`,
              priceMinor: 1000n,
              currency: parseFiatCurrency('JPY'),
              createdAt: now,
              policy: DEFAULT_STORE_POLICY,
              payment: { asset: 'LTC', address, quote: { id: quoteId, asset: 'LTC', currency: parseFiatCurrency('JPY'), priceMinor: 1000n, amountDueBase: 100_000n, rate: '1000000', expiresAt: quoteExpiresAt } },
            });
            await checkouts.insert(c);
            batch.push({ id: c.id, address });
          }
          const ids = batch.map((b) => b.id);
          for (let i = 0; i < batch.length; i += OUTPUTS_PER_TX) {
            const outputs = Object.fromEntries(batch.slice(i, i + OUTPUTS_PER_TX).map((b) => [b.address, '0.001']));
            await node.walletRpc('sendmany', ['', outputs]);
          }
          const count = async (status: CheckoutStatus): Promise<number> =>
            Number(
              (await db.kysely.selectFrom('checkouts').select((eb) => eb.fn.countAll<string>().as('n')).where('id', 'in', ids).where('status', '=', status).executeTakeFirstOrThrow())
                .n,
            );
          await until(async () => (await count('processing')) === n, 120_000, `${n} checkouts processing`);
          // Let the pipeline and the webhooks of the mempool phase go quiet before the block.
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          const profiler = CPU_PROFILE_DIR === undefined ? undefined : new Session();
          if (profiler) {
            profiler.connect();
            await profiler.post('Profiler.enable');
            await profiler.post('Profiler.start');
          }
          const cpuBefore = stackCpuSeconds();
          const [hash] = await node.mine(1);
          const minedAt = Date.now();
          await until(async () => ids.every((id) => receiver.received.has(id)), 120_000, `${n} order.released webhooks`).catch(async (err: unknown) => {
            const progress = await sql<Record<string, string>>`
              SELECT (SELECT count(*) FROM checkouts WHERE id = ANY(${ids}::text[]) AND status = 'settled') AS settled,
                     (SELECT count(*) FROM order_releases WHERE checkout_id = ANY(${ids}::text[])) AS released,
                     (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS unpublished,
                     (SELECT json_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status) d) AS deliveries`.execute(db.kysely);
            console.error(`stalled: ${JSON.stringify(progress.rows[0])}; webhooks received ${ids.filter((id) => receiver.received.has(id)).length}`);
            throw err;
          });
          const cpuAfter = stackCpuSeconds();
          if (profiler && CPU_PROFILE_DIR !== undefined) {
            const { profile } = await profiler.post('Profiler.stop');
            writeFileSync(join(CPU_PROFILE_DIR, `detection-${n}-${round}.cpuprofile`), JSON.stringify(profile));
            profiler.disconnect();
          }
          const byProcess: Record<string, number> = {};
          cpuAfter.forEach((seconds, name) => {
            const used = seconds - (cpuBefore.get(name) ?? 0);
            if (used >= 0.01) byProcess[name] = round2(used);
          });
          const cpuSeconds = Object.values(byProcess).reduce((a, b) => a + b, 0);
          const wallSeconds = (Date.now() - minedAt) / 1000;
          const rows = await db.kysely.selectFrom('checkouts').select(['id', 'settled_at', 'status']).where('id', 'in', ids).execute();
          const settled = rows.map((r) => {
            if (r.status !== 'settled' || r.settled_at === null) throw new Error(`checkout ${r.id} is ${r.status} with its webhook received`);
            return r.settled_at.getTime() - minedAt;
          });
          const webhook = ids.map((id) => receiver.received.get(id)! - minedAt);
          const stages = await stageTimes(db.kysely, ids, minedAt);
          const stackCpu = { seconds: round2(cpuSeconds), msPerCheckout: round2((cpuSeconds * 1000) / n), wallSeconds: round2(wallSeconds), byProcess };
          const result: SizeResult = { checkouts: n, round, settled: summary(settled), webhook: summary(webhook), stages, stackCpu };
          results.push(result);
          console.error(`block ${hash?.slice(0, 12)}…: ${JSON.stringify(result)}`);
        }
      }
    } finally {
      await runtime.lifecycle.shutdown('bench done');
    }
  } finally {
    await Promise.allSettled([node.stop(), pg.stop(), redis.stop(), receiver.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(
    JSON.stringify(
      {
        machine: { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg().map((l) => l.toFixed(1)) },
        results,
      },
      null,
      2,
    ),
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
