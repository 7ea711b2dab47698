import { Client } from 'pg';
import type { CheckoutId } from '@coinstile/core';
import { CHECKOUT_UPDATE_CHANNEL_PREFIX, checkoutUpdateChannel, createServiceRuntime, cryptoRandomSource, loadConfig, runReadinessChecks } from '@coinstile/platform';
import { Redis } from 'ioredis';
import { freePort, startRedis, type RedisServer } from '@coinstile/testkit';
import {
  BitcoinRpcClient,
  ChainFollowerService,
  UtxoChainFollower,
  utxoChainSpec,
  PostgresAdvisoryLock,
  startVerifier,
  type ChainFollowerServiceOptions,
} from '@coinstile/wallet-verifier';
import { ltc, VerifierHarness } from './verifier-harness';

const FAST: ChainFollowerServiceOptions = { pollIntervalMs: 50, standbyRetryMs: 100, backoffMinMs: 50, backoffMaxMs: 500 };

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('follower service: lock, standby, restarts, node outages', () => {
  let h: VerifierHarness;
  const services: ChainFollowerService[] = [];

  function service(options: ChainFollowerServiceOptions = {}): ChainFollowerService {
    const lock = new PostgresAdvisoryLock(h.databaseUrl, 'litecoin', 200);
    const s = new ChainFollowerService('litecoin', () => h.follower(), lock, h.logger, h.metrics, { ...FAST, ...options });
    services.push(s);
    return s;
  }

  beforeAll(async () => {
    h = await VerifierHarness.start();
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    await h?.close();
  });

  async function status(id: CheckoutId): Promise<string> {
    return (await h.checkout(id)).status;
  }

  it('one leader per chain; a standby takes over when the leader stops or its database session dies', async () => {
    const a = service();
    a.start();
    await eventually('a leads', async () => a.status().role === 'leader' && a.status().lastSyncAt !== null);
    const b = service();
    b.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(b.status().role).toBe('standby');

    await a.stop();
    await eventually('b takes over', async () => b.status().role === 'leader' && b.status().lastSyncAt !== null);
    const c = service();
    c.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(c.status().role).toBe('standby');

    // b's lock session is killed (as if its host vanished): b learns it lost the lock, c takes over.
    const admin = new Client({ connectionString: h.databaseUrl });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'coinstile-follower-litecoin' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)");
    await admin.end();
    // Whoever wins the lock next (c, or b again once it notices it lost it), b's first term is over and
    // exactly one of them follows the chain.
    await eventually('b steps down', async () => b.status().role === 'standby' || b.status().leaderTerms === 2, 10_000);
    await eventually('one leader', async () => [b, c].filter((s) => s.status().role === 'leader').length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([b, c].filter((s) => s.status().role === 'leader')).toHaveLength(1);

    const co = await h.createCheckout({ dueLitoshi: 7_000_000n });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await h.node.sendToAddress(co.address, ltc(7_000_000n));
    await h.node.mine(1);
    await eventually('settled by the new leader', async () => (await status(co.id)) === 'settled');
  });

  it('stopped and restarted mid-stream: catches up from its cursor, every payment and event exactly once', async () => {
    const checkouts: { id: CheckoutId; address: string }[] = [];
    for (let i = 0; i < 12; i++) checkouts.push(await h.createCheckout({ dueLitoshi: 3_000_000n + BigInt(i) }));
    let current = service();
    current.start();
    for (let i = 0; i < checkouts.length; i++) {
      await h.node.sendToAddress(checkouts[i]!.address, ltc(3_000_000n + BigInt(i)));
      if (i % 3 === 2) await h.node.mine(1);
      // Stop the verifier at arbitrary points while payments and blocks keep coming.
      if (i % 4 === 1) {
        await current.stop();
        await h.node.mine(1);
        current = service();
        current.start();
      }
      await new Promise((resolve) => setTimeout(resolve, 30 * (i % 3)));
    }
    await h.node.mine(1);
    await eventually('all settled', async () => (await Promise.all(checkouts.map((c) => status(c.id)))).every((s) => s === 'settled'));
    for (const co of checkouts) {
      expect(await h.payments(co.id)).toHaveLength(1);
      expect(await h.events(co.id)).toEqual(['checkout.processing', 'checkout.settled']);
    }
    // Every checkout may settle before the last block is processed (they were all confirmed earlier), so
    // the cursor is awaited, not read at once: it must reach the node's tip.
    const tip = await h.node.rpc<string>('getbestblockhash');
    const cursorHash = async () =>
      (await h.db.kysely.selectFrom('chain_cursors').select('block_hash').where('chain', '=', 'litecoin').executeTakeFirstOrThrow()).block_hash;
    await eventually('cursor at the tip', async () => (await cursorHash()) === tip);
    expect(await cursorHash()).toBe(tip);
  });

  it('node stopped and restarted: rounds fail with backoff, readiness fails meanwhile, the follower resumes', async () => {
    const s = service({ maxReadyStalenessMs: 400 });
    s.start();
    await eventually('leading', async () => s.status().lastSyncAt !== null);
    const ready = s.readinessCheck();
    await expect(ready.check()).resolves.toBeUndefined();
    const co = await h.createCheckout({ dueLitoshi: 4_000_000n });
    await new Promise((resolve) => setTimeout(resolve, 200));

    const restarting = h.node.restart();
    await eventually('failing rounds', async () => s.status().consecutiveFailures >= 2);
    expect(s.status().lastError).toMatch(/node unavailable/);
    expect(s.status().lastError).not.toContain(new URL(h.node.rpcUrl).password);
    await eventually('readiness failing', async () => ready.check().then(() => false, () => true));
    await restarting;
    await h.node.sendToAddress(co.address, ltc(4_000_000n));
    await h.node.mine(1);
    await eventually('settled after the outage', async () => (await status(co.id)) === 'settled');
    // The settlement commits inside a round, before the round ends and resets the failure count (and a
    // round can still fail after it while the node warms up): the count is awaited, not read at once.
    await eventually('failures reset', async () => s.status().consecutiveFailures === 0);
    expect(s.status().consecutiveFailures).toBe(0);
    await expect(ready.check()).resolves.toBeUndefined();
  });

  it('a leader that cannot reach its node fails readiness, naming the error but not the credentials', async () => {
    const port = await freePort();
    const rpc = new BitcoinRpcClient(`http://coinstile:s3cret-pass@127.0.0.1:${port}`, { timeoutMs: 500 });
    const spec = utxoChainSpec('litecoin', 'regtest');
    const unreachable = new ChainFollowerService(
      'litecoin',
      () => new UtxoChainFollower(spec, rpc, h.db, h.evaluator, h.clock, cryptoRandomSource, h.logger, undefined),
      new PostgresAdvisoryLock(h.databaseUrl, 'litecoin-unreachable-node'),
      h.logger,
      undefined,
      { ...FAST, maxReadyStalenessMs: 200 },
    );
    services.push(unreachable);
    unreachable.start();
    await eventually('failing as leader', async () => unreachable.status().role === 'leader' && unreachable.status().consecutiveFailures >= 3);
    const failure = unreachable.readinessCheck().check();
    await expect(failure).rejects.toThrow(/no successful round for ever; lag \? blocks; last error: .*node unavailable \(network\)/);
    await expect(failure).rejects.not.toThrow(/s3cret-pass/);
  });
});

describe('startVerifier on a ServiceRuntime', () => {
  let h: VerifierHarness;
  let redis: RedisServer;

  beforeAll(async () => {
    [h, redis] = await Promise.all([VerifierHarness.start(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.allSettled([h?.close(), redis?.stop()]);
  });

  it('follows the configured chain, reports readiness and metrics, and stops with the lifecycle', async () => {
    const config = loadConfig(
      {
        DATABASE_URL: h.databaseUrl,
        REDIS_URL: redis.url,
        LTC_RPC_URL: h.node.rpcUrl,
        LTC_NETWORK: 'regtest',
        LOG_LEVEL: 'silent',
        COINSTILE_DATA_DIR: '/nonexistent-unused',
      },
      { cwd: '/nonexistent-unused' },
    );
    const runtime = await createServiceRuntime(config, { service: 'verifier', migrate: true });
    try {
      const verifier = await startVerifier(runtime, { service: FAST });
      expect(verifier.followers.map((f) => f.chain)).toEqual(['litecoin']);
      await eventually('caught up', async () => verifier.status()[0]?.lastSyncAt !== null);
      expect((await runReadinessChecks(verifier.readinessChecks)).status).toBe('ok');

      // Open hosted pages are told of every written transition, a block's worth in one pipeline.
      const subscriber = new Redis(redis.url, { lazyConnect: true });
      const announced: { channel: string; version: string }[] = [];
      subscriber.on('pmessage', (_pattern, channel, version) => announced.push({ channel, version }));
      await subscriber.connect();
      await subscriber.psubscribe(`${CHECKOUT_UPDATE_CHANNEL_PREFIX}*`);
      const co = await h.createCheckout({ dueLitoshi: 2_000_000n });
      const other = await h.createCheckout({ dueLitoshi: 3_000_000n });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await h.node.walletRpc('sendmany', ['', { [co.address]: ltc(2_000_000n), [other.address]: ltc(3_000_000n) }]);
      await h.node.mine(1);
      await eventually('settled', async () => (await h.checkout(co.id)).status === 'settled' && (await h.checkout(other.id)).status === 'settled');
      // Each checkout's channel hears its versions as they are written, up to the settled one.
      for (const id of [co.id, other.id]) {
        const settledVersion = String((await h.checkout(id)).version);
        await eventually(`${id} announced`, async () => announced.some((a) => a.channel === checkoutUpdateChannel(id) && a.version === settledVersion));
      }
      subscriber.disconnect();
      const exposition = await runtime.metrics.registry.metrics();
      expect(exposition).toMatch(/coinstile_chain_processed_height\{chain="litecoin",service="verifier"\} \d+/);
      expect(exposition).toMatch(/coinstile_chain_payments_matched_total\{chain="litecoin",source="(mempool|block)",service="verifier"\} [1-9]/);
    } finally {
      const report = await runtime.lifecycle.shutdown('test over');
      expect(report.components.filter((c) => c.name.startsWith('chain-follower') || c.name === 'expiry-sweeper')).toEqual([
        expect.objectContaining({ name: 'expiry-sweeper', outcome: 'stopped' }),
        expect.objectContaining({ name: 'chain-follower:litecoin', outcome: 'stopped' }),
      ]);
    }
  });
});
