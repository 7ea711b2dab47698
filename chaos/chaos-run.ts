import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { assertNever } from '@coinstile/core';
import { startHardhat, startLitecoind, startPostgres, startRedis, type HardhatNode, type LitecoinRegtest, type PostgresServer, type RedisServer } from '@coinstile/testkit';
import { CoinstileFleet, FLEET_MEMBERS, type FleetMemberName } from './coinstile-fleet';
import { checkInvariants, type DoubleSpendRecord } from './chaos-invariants';
import { ChaosMall, type ChaosAsset, type ChaosStore, type CreatedCheckout } from './chaos-mall';
import type { ChaosReport } from './chaos-report';
import { ChaosWebhookReceiver } from './chaos-webhook-receiver';
import { EvmChaos } from './evm-chaos';
import { planFaults, type Fault } from './fault-plan';
import { LitecoinChaos } from './litecoin-chaos';
import { SeededRandom } from './seeded-random';
import { sleep } from './serial-queue';

export interface ChaosOptions {
  readonly seed: number;
  /** The load phase, during which faults are injected. */
  readonly durationS: number;
  /** Checkouts created over the load phase. */
  readonly checkouts: number;
  /** How long the end of the run may take to come to rest before that counts as a broken invariant. */
  readonly quiescenceTimeoutS?: number;
  readonly out: (line: string) => void;
}

const REPO_ROOT = join(__dirname, '..');
const OPERATOR_TOKEN = 'chaos-operator-token-0123456789abcdef';
/** Rates that keep payments small: the funded regtest wallet pays thousands of checkouts. */
const FX_STATIC_RATES = 'LTC-USD=8000,ETH-USD=3000,USDC-USD=1';
/** How long nothing may happen before the run counts as at rest: longer than a payout batching round (5 s). */
const QUIET_MS = 6_000;
/** Checkout creations in flight at once. */
const CREATION_CONCURRENCY = 16;

interface PaidCheckout extends CreatedCheckout {
  readonly txid: string;
}

/**
 * Coinstile's worst day: real PostgreSQL, redis-server, litecoind regtest and a Hardhat node; Coinstile as
 * six processes from the built CLI (gateway ×2, verifier, fx, payouts ×2); stores and checkouts created
 * over the API and paid on chain while processes are killed, Redis and Postgres restarted, Litecoin
 * reorganised (and a payment double-spent) and the stores' webhook endpoint fails. Then the run waits
 * for rest and checks the invariants. Everything it started is stopped before it returns, also on failure.
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const startedAt = Date.now();
  const { out } = opts;
  const random = new SeededRandom(opts.seed);
  out(`chaos: seed ${opts.seed}, load ${opts.durationS} s, ${opts.checkouts} checkouts (CHAOS_SEED=${opts.seed} replays this plan)`);
  const runDir = mkdtempSync(join(tmpdir(), 'coinstile-chaos-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  let ok = false;
  try {
    const [pg, redis, litecoind, hardhat] = await startInfrastructure(cleanups);
    const usdc = await (await hardhat.deployErc20()).getAddress();
    const litecoin = await LitecoinChaos.prepare(litecoind, random.fork('litecoin'));
    cleanups.push(async () => litecoin.close());
    const evm = new EvmChaos(hardhat.rpcUrl, usdc);
    const databaseUrl = await pg.createDatabase();

    let stores: readonly ChaosStore[] = [];
    const receiver = await ChaosWebhookReceiver.start({
      random: random.fork('receiver'),
      secrets: () => new Map(stores.map((s) => [s.id, s.webhookSecret])),
      failureRate: 0.05,
      hangRate: 0.01,
    });
    cleanups.push(() => receiver.close());

    const fleet = await CoinstileFleet.start({
      runDir,
      cliMain: join(REPO_ROOT, 'cli', 'dist', 'main.js'),
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        COINSTILE_OPERATOR_TOKEN: OPERATOR_TOKEN,
        LTC_RPC_URL: litecoind.rpcUrl,
        LTC_NETWORK: 'regtest',
        ETH_RPC_URL: hardhat.rpcUrl,
        ETH_CHAIN_ID: String(hardhat.chainId),
        USDC_CONTRACT: usdc,
        FX_SOURCES: 'static',
        FX_STATIC_RATES,
        WEBHOOK_ALLOW_PRIVATE: 'true',
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
    });
    cleanups.push(() => fleet.stop());

    const mall = new ChaosMall(fleet.gatewayUrls, OPERATOR_TOKEN, random.fork('mall'));
    await mall.createStores(receiver.url);
    stores = mall.stores;
    const setupMs = Date.now() - startedAt;
    out(`chaos: set up in ${(setupMs / 1000).toFixed(1)} s (${stores.length} stores, 6 Coinstile processes); load and faults for ${opts.durationS} s`);

    // Load: checkouts paid on chain, blocks mined, faults injected.
    const loadStartedAt = Date.now();
    const durationMs = opts.durationS * 1000;
    const miners = startMiners(litecoin, evm, random.fork('miners'));
    cleanups.push(async () => miners.stop());
    const load = runLoad(mall, litecoin, evm, random.fork('load'), opts.checkouts, durationMs);
    const faults = runFaults(planFaults(random.fork('faults'), durationMs), { fleet, pg, redis, litecoin, mall, receiver, random: random.fork('fault-run'), out });
    const [loadResult, faultResult] = await Promise.all([load, faults]);
    const loadMs = Date.now() - loadStartedAt;
    out(`chaos: load over (${loadResult.paid.length} checkouts paid); waiting for rest`);

    // Rest: every process up, the receiver calm, blocks keep coming until nothing is left to do.
    const quiescenceStartedAt = Date.now();
    receiver.calm();
    for (const member of FLEET_MEMBERS) fleet.restart(member);
    const notReady = (
      await Promise.all(FLEET_MEMBERS.map((member) => fleet.waitReady(member).then(() => [], (err: Error) => [`${member} not ready: ${err.message.split('\n')[0]}`])))
    ).flat();
    const db = new Pool({ connectionString: databaseUrl, max: 4 });
    db.on('error', () => undefined);
    cleanups.push(() => db.end());
    const notQuiescent = notReady.length > 0 ? notReady : await waitForRest(db, litecoin, loadResult.paid, faultResult.doubleSpends, (opts.quiescenceTimeoutS ?? 180) * 1000);
    const quiescenceMs = Date.now() - quiescenceStartedAt;
    miners.stop();
    await fleet.stop();

    const checksStartedAt = Date.now();
    const invariants = await checkInvariants({
      db,
      stores,
      doubleSpends: faultResult.doubleSpends,
      litecoin: litecoin.timeline,
      evm: evm.timeline,
      deliveries: receiver.deliveries,
      notQuiescent,
      apiErrors: mall.apiErrors,
    });
    const counts = await countRows(db);
    const statusOf = await statusesOf(db, faultResult.doubleSpends.map((d) => d.checkoutId));
    const checksMs = Date.now() - checksStartedAt;
    ok = invariants.every((i) => i.ok);
    const kills: Partial<Record<FleetMemberName, number>> = {};
    for (const member of faultResult.killed) kills[member] = (kills[member] ?? 0) + 1;
    const restarts = (kind: 'redis-restart' | 'postgres-restart') => ({
      hard: faultResult.done.filter((f) => f.kind === kind && f.hard).length,
      clean: faultResult.done.filter((f) => f.kind === kind && !f.hard).length,
    });
    const cpu = cpus();
    return {
      seed: opts.seed,
      durationS: opts.durationS,
      checkoutsPlanned: opts.checkouts,
      machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.versions.node },
      timingsMs: { setup: setupMs, load: loadMs, quiescence: quiescenceMs, checks: checksMs, total: Date.now() - startedAt },
      counts: {
        stores: stores.length,
        checkoutsCreated: loadResult.created,
        checkoutsNotCreated: opts.checkouts - loadResult.created,
        paid: {
          LTC: loadResult.paid.filter((p) => p.asset === 'LTC').length,
          ETH: loadResult.paid.filter((p) => p.asset === 'ETH').length,
          USDC: loadResult.paid.filter((p) => p.asset === 'USDC').length,
        },
        paymentFailures: loadResult.paymentFailures,
        statuses: counts.statuses,
        releases: counts.releases,
        payouts: counts.payouts,
        outboxEvents: counts.outbox,
        litecoinBlocks: litecoin.stats.blocksMined,
        evmBlocks: evm.stats.blocksMined + evm.stats.ethPayments + evm.stats.usdcPayments,
        litecoinTransactions: { sendtoaddress: litecoin.stats.sendtoaddress, sendmany: litecoin.stats.sendmany, rebroadcast: litecoin.stats.rebroadcast },
        webhooks: receiver.counts(),
      },
      faults: {
        kills,
        redisRestarts: restarts('redis-restart'),
        postgresRestarts: restarts('postgres-restart'),
        reorgDepths: litecoin.stats.reorgs,
        doubleSpends: faultResult.doubleSpends.map((d) => ({ checkoutId: d.checkoutId, depth: d.depth, confirmationsBefore: d.confirmationsBefore, finalStatus: statusOf.get(d.checkoutId) ?? 'missing' })),
        webhookOutages: receiver.outages.length,
        failedFaults: faultResult.failed,
      },
      unexpectedExits: fleet.unexpectedExits.map(({ member, code, signal, logTail }) => ({ member, code, signal, lastError: lastLoggedError(logTail) })),
      apiErrors: Object.fromEntries(mall.apiErrors),
      invariants,
      ok,
      runDir: ok ? undefined : runDir,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (ok) rmSync(runDir, { recursive: true, force: true });
    else out(`chaos: the logs of every Coinstile process are kept in ${runDir}`);
  }
}

/** The last error a process logged (pino JSON lines), to say why it exited. */
function lastLoggedError(logTail: string): string {
  for (const line of logTail.split('\n').reverse()) {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((entry.level ?? 0) >= 50) return [entry.msg, entry.err?.message].filter(Boolean).join(': ').slice(0, 200);
    } catch {
      // Not a log line (a stack trace of an uncaught error, say).
    }
  }
  return logTail.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? '';
}

async function startInfrastructure(cleanups: (() => Promise<unknown>)[]): Promise<[PostgresServer, RedisServer, LitecoinRegtest, HardhatNode]> {
  const started = await Promise.allSettled([startPostgres(), startRedis(), startLitecoind(), startHardhat()] as const);
  for (const s of started) if (s.status === 'fulfilled') cleanups.push(() => s.value.stop());
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [PostgresServer, RedisServer, LitecoinRegtest, HardhatNode];
}

/** A Litecoin block every 0.8–2.5 s and an EVM block every 1–2 s until stopped (no timer left behind). */
function startMiners(litecoin: LitecoinChaos, evm: EvmChaos, random: SeededRandom): { stop(): void } {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const every = (mine: () => Promise<void>, minMs: number, maxMs: number): void => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void mine()
        .catch(() => undefined)
        .finally(() => every(mine, minMs, maxMs));
    }, random.int(minMs, maxMs));
    timers.add(timer);
  };
  every(() => litecoin.mine(1), 800, 2_500);
  every(() => evm.mine(), 1_000, 2_000);
  return {
    stop: () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

interface LoadResult {
  readonly created: number;
  readonly paid: PaidCheckout[];
  readonly paymentFailures: number;
}

/** `count` checkouts spread over the first 90 % of the load phase, half LTC, a quarter each ETH and USDC, each paid in full at once. */
async function runLoad(mall: ChaosMall, litecoin: LitecoinChaos, evm: EvmChaos, random: SeededRandom, count: number, durationMs: number): Promise<LoadResult> {
  const startedAt = Date.now();
  const regular = mall.regularStores();
  const paid: PaidCheckout[] = [];
  let created = 0;
  let paymentFailures = 0;
  let inFlight = 0;
  const pending: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    const dueAt = startedAt + Math.round((n * 0.9 * durationMs) / count);
    while (Date.now() < dueAt || inFlight >= CREATION_CONCURRENCY) await sleep(Math.max(5, Math.min(100, dueAt - Date.now())));
    const store = random.pick(regular);
    const asset: ChaosAsset = random.pick(['LTC', 'LTC', 'ETH', 'USDC'] as const);
    const orderId = `CHAOS-${String(n + 1).padStart(5, '0')}`;
    inFlight += 1;
    pending.push(
      (async () => {
        try {
          const checkout = await mall.createCheckout(store, asset, orderId, Date.now() + 60_000);
          if (checkout === undefined) return;
          created += 1;
          try {
            paid.push({ ...checkout, txid: await pay(litecoin, evm, checkout) });
          } catch {
            paymentFailures += 1;
          }
        } finally {
          inFlight -= 1;
        }
      })(),
    );
  }
  await Promise.all(pending);
  return { created, paid, paymentFailures };
}

function pay(litecoin: LitecoinChaos, evm: EvmChaos, checkout: CreatedCheckout): Promise<string> {
  switch (checkout.asset) {
    case 'LTC':
      return litecoin.pay(checkout.address, checkout.amountDue);
    case 'ETH':
      return evm.payEth(checkout.address, checkout.amountDue);
    case 'USDC':
      return evm.payUsdc(checkout.address, checkout.amountDue);
    default:
      return assertNever(checkout.asset, 'asset');
  }
}

interface FaultContext {
  readonly fleet: CoinstileFleet;
  readonly pg: PostgresServer;
  readonly redis: RedisServer;
  readonly litecoin: LitecoinChaos;
  readonly mall: ChaosMall;
  readonly receiver: ChaosWebhookReceiver;
  readonly random: SeededRandom;
  readonly out: (line: string) => void;
}

interface DoubleSpend extends DoubleSpendRecord {
  readonly depth: number;
  readonly confirmationsBefore: number;
}

interface FaultResult {
  readonly done: Fault[];
  readonly killed: FleetMemberName[];
  readonly failed: string[];
  readonly doubleSpends: DoubleSpend[];
}

/** Injects the planned faults in order, each at its time (later if the one before took longer). */
async function runFaults(plan: readonly Fault[], ctx: FaultContext): Promise<FaultResult> {
  const startedAt = Date.now();
  const result: FaultResult = { done: [], killed: [], failed: [], doubleSpends: [] };
  const restarts: Promise<void>[] = [];
  for (const fault of plan) {
    await sleep(Math.max(0, startedAt + fault.atMs - Date.now()));
    ctx.out(`chaos: +${((Date.now() - startedAt) / 1000).toFixed(1)} s ${describeFault(fault)}`);
    try {
      await inject(fault, ctx, result, restarts);
      result.done.push(fault);
    } catch (err) {
      result.failed.push(`${fault.kind}: ${(err as Error).message}`);
    }
  }
  await Promise.all(restarts);
  return result;
}

async function inject(fault: Fault, ctx: FaultContext, result: FaultResult, restarts: Promise<void>[]): Promise<void> {
  switch (fault.kind) {
    case 'kill': {
      // The planned member may be down from an earlier kill: the next one that is up goes instead.
      const from = FLEET_MEMBERS.indexOf(fault.member);
      const member = [...FLEET_MEMBERS.slice(from), ...FLEET_MEMBERS.slice(0, from)].find((m) => ctx.fleet.isUp(m));
      if (member === undefined) throw new Error('every Coinstile process was down already');
      await ctx.fleet.kill9(member);
      result.killed.push(member);
      restarts.push(sleep(fault.downMs).then(() => ctx.fleet.restart(member)));
      return;
    }
    case 'redis-restart':
      if (fault.hard) await ctx.redis.kill9();
      await ctx.redis.restart();
      return;
    case 'postgres-restart':
      if (fault.hard) await ctx.pg.kill9();
      await ctx.pg.restart();
      return;
    case 'reorg':
      await ctx.litecoin.reorg(fault.depth);
      return;
    case 'double-spend': {
      const store = ctx.mall.doubleSpendStore();
      const checkout = await ctx.mall.createCheckout(store, 'LTC', `CHAOS-DS-${result.doubleSpends.length + 1}`, Date.now() + 60_000);
      if (checkout === undefined) throw new Error('no gateway created the double-spend checkout');
      const outcome = await ctx.litecoin.doubleSpend(checkout.address, checkout.amountDue, 1_500);
      result.doubleSpends.push({ checkoutId: checkout.id, txid: outcome.txid, depth: outcome.depth, confirmationsBefore: outcome.confirmationsBefore });
      return;
    }
    case 'webhook-outage':
      ctx.receiver.outage(fault.durationMs);
      return;
    default:
      assertNever(fault, 'fault');
  }
}

function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'kill':
      return `kill -9 ${fault.member} (down ${fault.downMs} ms)`;
    case 'redis-restart':
      return `Redis restart (${fault.hard ? 'kill -9' : 'clean'})`;
    case 'postgres-restart':
      return `Postgres restart (${fault.hard ? 'kill -9' : 'clean'})`;
    case 'reorg':
      return `Litecoin reorg ${fault.depth} deep`;
    case 'double-spend':
      return 'Litecoin double spend on a new branch';
    case 'webhook-outage':
      return `webhook receiver answers 500 for ${fault.durationMs} ms`;
    default:
      return assertNever(fault, 'fault');
  }
}

/**
 * Mines, broadcasts lost payments again and lets webhook retries fall due now (the dispatcher's backoff
 * starts at 30 s and doubles: the run moves `next_attempt_at` instead of waiting it out) until every paid
 * checkout is final, released and paid out, the outbox is published and no delivery is pending. Returns
 * what is still open when `timeoutMs` runs out (empty: at rest).
 */
async function waitForRest(db: Pool, litecoin: LitecoinChaos, paid: readonly PaidCheckout[], doubleSpends: readonly DoubleSpendRecord[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const paidIds = paid.map((p) => p.id);
  const victimIds = doubleSpends.map((d) => d.checkoutId);
  // Nothing open, and no new outbox event for longer than a payout batching round (5 s): timers that run
  // on their own (batching) have had their turn too.
  let quiet: { sinceMs: number; outboxEvents: number } | undefined;
  for (let round = 0; ; round++) {
    if (round % 5 === 0) await litecoin.rebroadcastLost();
    await db.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending' AND next_attempt_at > now()`);
    const open = await openWork(db, paidIds, victimIds);
    if (open.length > 0) quiet = undefined;
    else {
      const outboxEvents = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox`)).rows[0]?.n);
      if (quiet === undefined || quiet.outboxEvents !== outboxEvents) quiet = { sinceMs: Date.now(), outboxEvents };
      else if (Date.now() - quiet.sinceMs >= QUIET_MS) return [];
    }
    if (Date.now() > deadline) return [`not at rest after ${timeoutMs / 1000} s:`, ...(open.length > 0 ? open : ['outbox events kept coming'])];
    await sleep(1_000);
  }
}

async function openWork(db: Pool, paidIds: readonly string[], victimIds: readonly string[]): Promise<string[]> {
  const [unfinished, victims, unreleased, outbox, deliveries, unbatched] = await Promise.all([
    db.query<{ id: string; status: string }>(`SELECT id, status FROM checkouts WHERE id = ANY($1) AND status NOT IN ('settled', 'invalid')`, [paidIds]),
    // A double-spent checkout ends invalid, or new when the verifier never saw the payment before its
    // branch was cut (it was down or catching up): processing would mean it waits for a payment that is gone.
    db.query<{ id: string; status: string }>(`SELECT id, status FROM checkouts WHERE id = ANY($1) AND status = 'processing'`, [victimIds]),
    db.query<{ id: string }>(
      `SELECT c.id FROM checkouts c WHERE c.status = 'settled'
       AND (NOT EXISTS (SELECT 1 FROM order_releases r WHERE r.checkout_id = c.id) OR NOT EXISTS (SELECT 1 FROM payouts p WHERE p.checkout_id = c.id))`,
    ),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'`),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM payouts WHERE status = 'scheduled'`),
  ]);
  const open: string[] = [];
  if (unfinished.rows.length > 0) open.push(`${unfinished.rows.length} paid checkouts not final (${unfinished.rows.slice(0, 5).map((r) => `${r.id} ${r.status}`).join(', ')})`);
  if (victims.rows.length > 0) open.push(`${victims.rows.length} double-spent checkouts still processing (${victims.rows.slice(0, 5).map((r) => `${r.id} ${r.status}`).join(', ')})`);
  if (unreleased.rows.length > 0) open.push(`${unreleased.rows.length} settled checkouts without release or payout (${unreleased.rows.slice(0, 5).map((r) => r.id).join(', ')})`);
  if (Number(outbox.rows[0]?.n) > 0) open.push(`${outbox.rows[0]?.n} outbox events unpublished`);
  if (Number(deliveries.rows[0]?.n) > 0) open.push(`${deliveries.rows[0]?.n} webhook deliveries pending`);
  // Payouts are due at once (instant schedule): each goes into a bank file (sent) within a batching round.
  if (Number(unbatched.rows[0]?.n) > 0) open.push(`${unbatched.rows[0]?.n} payouts scheduled, not yet in a bank file`);
  return open;
}

async function countRows(db: Pool): Promise<{ statuses: Record<string, number>; releases: number; payouts: Record<string, number>; outbox: number }> {
  const statuses = await db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM checkouts GROUP BY status ORDER BY status`);
  const payouts = await db.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM payouts GROUP BY status ORDER BY status`);
  const one = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  return {
    statuses: Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)])),
    releases: await one('SELECT count(*) AS n FROM order_releases'),
    payouts: Object.fromEntries(payouts.rows.map((r) => [r.status, Number(r.n)])),
    outbox: await one('SELECT count(*) AS n FROM outbox'),
  };
}

async function statusesOf(db: Pool, ids: readonly string[]): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; status: string; invalid_reason: string | null }>(`SELECT id, status, invalid_reason FROM checkouts WHERE id = ANY($1)`, [ids]);
  return new Map(rows.rows.map((r) => [r.id, r.invalid_reason === null ? r.status : `${r.status} (${r.invalid_reason})`]));
}
