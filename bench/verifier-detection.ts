/**
 * Verifier detection latency, the verifier's share of DESIGN.md's detection target: one regtest block pays
 * N checkouts (N = 100, 1,000, 5,000); per checkout, the time from the moment litecoind has the block
 * (`generatetoaddress` returned) to the checkout's `settled` state and its `checkout.settled` outbox row
 * being committed (`settled_at`, written in that same transaction). The payments were seen in the mempool
 * first (→ `processing`), as in real life; medium_speed (1 confirmation). The follower runs as in
 * production: `ChainFollowerService`, polling every 250 ms, on a real PostgreSQL server.
 * Goal (end to end, webhooks included, measured elsewhere): p99 ≤ 500 ms.
 * Run: `npx tsc -b wallet-verifier testkit && node -r ts-node/register/transpile-only bench/verifier-detection.ts`.
 * `VERIFIER_DETECTION_SIZES` overrides the list of N (comma separated).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import pino from 'pino';
import { HDNodeWallet } from 'ethers';
import { createCheckout, DEFAULT_STORE_POLICY, ID_RANDOM_BYTES, makeId, parseFiatCurrency, type CheckoutId, type CheckoutStatus } from '@coinstile/core';
import { CheckoutRepository, cryptoRandomSource, migrateToLatest, openDatabase, systemClock } from '@coinstile/platform';
import { startLitecoind, startPostgres } from '@coinstile/testkit';
import {
  BitcoinRpcClient,
  ChainFollowerService,
  CheckoutEvaluator,
  deriveAddress,
  parseReceivingWallet,
  PostgresAdvisoryLock,
  UtxoChainFollower,
  utxoChainSpec,
} from '@coinstile/wallet-verifier';
// Internal to wallet-verifier (not in its public API); the compiled module, as every import here.
import { decodeExtendedPublicKey, encodeExtendedPublicKey } from '@coinstile/wallet-verifier/dist/addresses/extended-public-key';

const SIZES = (process.env['VERIFIER_DETECTION_SIZES'] ?? '100,1000,5000').split(',').map(Number);
const OUTPUTS_PER_TX = 1_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((sorted.length * p) / 100) - 1)]!;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const [node, pg] = await Promise.all([startLitecoind(), startPostgres()]);
  const url = await pg.createDatabase();
  const db = await openDatabase({ url, poolSize: 10 });
  const logger = pino({ level: 'warn' });
  const clock = systemClock();
  const results: unknown[] = [];
  try {
    await migrateToLatest(db);
    // Coins for thousands of outputs: mature a few hundred more coinbases.
    await node.mine(300);
    const evaluator = new CheckoutEvaluator(db, { clock, random: cryptoRandomSource });
    const rpc = new BitcoinRpcClient(node.rpcUrl);
    const spec = utxoChainSpec('litecoin', 'regtest');
    const service = new ChainFollowerService(
      'litecoin',
      () => new UtxoChainFollower(spec, rpc, db, evaluator, clock, cryptoRandomSource, logger, undefined),
      new PostgresAdvisoryLock(url, 'litecoin'),
      logger,
      undefined,
      { pollIntervalMs: 250 },
    );
    service.start();
    const storeId = makeId('st', Date.now(), randomBytes(ID_RANDOM_BYTES));
    await db.kysely
      .insertInto('stores')
      .values({ id: storeId, name: 'Bench store', status: 'active', payout_currency: 'JPY', payout_account: '{}', policy: JSON.stringify(DEFAULT_STORE_POLICY) })
      .execute();
    const root = HDNodeWallet.fromSeed(randomBytes(32));
    const tpub = encodeExtendedPublicKey(decodeExtendedPublicKey(root.derivePath("m/84'/1'/0'").neuter().extendedKey), 0x043587cf);
    const wallet = parseReceivingWallet('LTC', 'regtest', tpub);
    const checkouts = new CheckoutRepository(db);
    let index = 0;

    for (const n of SIZES) {
      const batch: { id: CheckoutId; address: string }[] = [];
      for (let i = 0; i < n; i++, index++) {
        const address = deriveAddress(wallet, index);
        const c = createCheckout({
          id: makeId('co', Date.now(), randomBytes(ID_RANDOM_BYTES)),
          storeId,
          orderId: `bench-${index}`,
          priceMinor: 1000n,
          currency: parseFiatCurrency('JPY'),
          createdAt: clock.now(),
          policy: DEFAULT_STORE_POLICY,
        });
        await checkouts.insert({ ...c, asset: 'LTC', address, amountDueBase: 100_000n });
        batch.push({ id: c.id, address });
      }
      const ids = batch.map((b) => b.id);
      for (let i = 0; i < batch.length; i += OUTPUTS_PER_TX) {
        const outputs = Object.fromEntries(batch.slice(i, i + OUTPUTS_PER_TX).map((b) => [b.address, '0.001']));
        await node.walletRpc('sendmany', ['', outputs]);
      }
      const count = async (status: CheckoutStatus): Promise<number> =>
        Number(
          (await db.kysely.selectFrom('checkouts').select((eb) => eb.fn.countAll<string>().as('n')).where('id', 'in', ids).where('status', '=', status).executeTakeFirstOrThrow()).n,
        );
      await until(async () => (await count('processing')) === n, 120_000);
      const [hash] = await node.mine(1);
      const minedAt = Date.now();
      await until(async () => (await count('settled')) === n, 120_000);
      const rows = await db.kysely.selectFrom('checkouts').select('settled_at').where('id', 'in', ids).execute();
      const latencies = rows.map((r) => r.settled_at!.getTime() - minedAt).sort((a, b) => a - b);
      results.push({ checkouts: n, block: hash, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[latencies.length - 1] });
    }
    await service.stop();
  } finally {
    await db.close();
    await Promise.allSettled([node.stop(), pg.stop()]);
  }
  console.log(
    JSON.stringify({ machine: { nproc: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadAverage: loadavg().map((l) => l.toFixed(1)) }, results }, null, 2),
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
