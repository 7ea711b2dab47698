import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceRuntime, loadConfig, type ServiceRuntime } from '@coinstile/platform';
import { startRedis, type RedisServer } from '@coinstile/testkit';
import {
  ChainFollowerService,
  createEvmProvider,
  EvmChainFollower,
  EvmChainIdMismatchError,
  evmChainSpec,
  EvmFollowerConfigError,
  InProcessLock,
  PostgresAdvisoryLock,
  startEvmFollower,
  type FollowerLock,
} from '@coinstile/wallet-verifier';
import { cryptoRandomSource } from '@coinstile/platform';
import type { CheckoutId } from '@coinstile/core';
import { eth, EvmHarness } from './evm-harness';

/** A JSON-RPC relay in front of the node that the test takes down and brings back on the same port. */
class NodeRelay {
  #server: Server | undefined;
  #port = 0;

  private constructor(private readonly target: string) {}

  static async start(target: string): Promise<NodeRelay> {
    const relay = new NodeRelay(target);
    await relay.up();
    return relay;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        fetch(this.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
          .then(async (answer) => {
            res.writeHead(answer.status, { 'content-type': 'application/json' });
            res.end(await answer.text());
          })
          .catch(() => res.destroy());
      });
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        this.#port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

async function waitFor(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('EVM follower as a service: node outages, the follower lock, startEvmFollower', () => {
  let h: EvmHarness;

  beforeAll(async () => {
    h = await EvmHarness.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  const settled = (id: CheckoutId) => async () => (await h.checkout(id)).status === 'settled';

  function service(lock: FollowerLock, provider = h.provider): ChainFollowerService {
    return new ChainFollowerService('ethereum', () => h.follower({}, provider), lock, h.logger, h.metrics, {
      pollIntervalMs: 50,
      standbyRetryMs: 100,
      backoffMinMs: 50,
      backoffMaxMs: 200,
      maxReadyStalenessMs: 1_000,
    });
  }

  it('retries with backoff while the node is unreachable, reports it to /readyz, and catches up when it is back', async () => {
    const relay = await NodeRelay.start(h.node.rpcUrl);
    const provider = createEvmProvider(relay.url, h.node.chainId, { timeoutMs: 2_000 });
    const follower = service(new InProcessLock(), provider);
    const readiness = follower.readinessCheck();
    try {
      follower.start();
      await waitFor('a first round', () => follower.status().lastSyncAt !== null);
      const before = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.3') });
      await h.node.sendEth(before.address, eth('0.3'), 15);
      await waitFor('the payment before the outage to settle', settled(before.id));
      await readiness.check();

      const errorsBefore = await h.metricValue('coinstile_chain_node_errors_total');
      await relay.down();
      const during = await h.createCheckout({ asset: 'USDC', dueBase: 7_000_000n });
      await h.sendUsdc(during.address, 7_000_000n);
      await h.node.mine(2);
      await waitFor('failed rounds', () => follower.status().consecutiveFailures >= 3);
      expect(follower.status()).toMatchObject({ role: 'leader', lastError: expect.any(String) });
      await waitFor('readiness to fail', () => readiness.check().then(() => false, () => true));
      expect(await h.metricValue('coinstile_chain_node_errors_total')).toBeGreaterThanOrEqual(errorsBefore + 3);
      expect((await h.checkout(during.id)).status).toBe('new');

      await relay.up();
      await waitFor('the payment made during the outage to settle', settled(during.id));
      await waitFor('recovery', () => follower.status().consecutiveFailures === 0);
      await readiness.check();
      expect(follower.status()).toMatchObject({ lagBlocks: 0, lastError: null });
    } finally {
      await follower.stop();
      provider.destroy();
      await relay.down();
    }
  });

  it('one follower per chain: a second instance waits as standby and takes over when the leader stops', async () => {
    const leader = service(new PostgresAdvisoryLock(h.databaseUrl, 'ethereum'));
    const standby = service(new PostgresAdvisoryLock(h.databaseUrl, 'ethereum'));
    try {
      leader.start();
      await waitFor('the leader', () => leader.status().role === 'leader');
      standby.start();
      await new Promise((r) => setTimeout(r, 400));
      expect(standby.status().role).toBe('standby');
      await leader.stop();
      await waitFor('the standby to take over', () => standby.status().role === 'leader');
      const co = await h.createCheckout({ asset: 'ETH', dueBase: eth('0.05') });
      await h.node.sendEth(co.address, eth('0.05'), 16);
      await waitFor('the payment to settle under the new leader', settled(co.id));
    } finally {
      await Promise.all([leader.stop(), standby.stop()]);
    }
  });

  it('refuses a node of another chain than configured', async () => {
    const wrongChain = evmChainSpec(1, []);
    const follower = new EvmChainFollower(wrongChain, h.provider, h.db, h.evaluator, h.clock, cryptoRandomSource, h.logger, h.metrics);
    await expect(follower.start()).rejects.toThrow(EvmChainIdMismatchError);
  });

  describe('startEvmFollower on a service runtime', () => {
    let redis: RedisServer;
    let dataDir: string;
    let runtime: ServiceRuntime;

    beforeAll(async () => {
      redis = await startRedis();
      dataDir = mkdtempSync(join(tmpdir(), 'coinstile-evm-runtime-'));
      const config = loadConfig(
        {
          DATABASE_URL: h.databaseUrl,
          REDIS_URL: redis.url,
          COINSTILE_DATA_DIR: dataDir,
          ETH_RPC_URL: h.node.rpcUrl,
          ETH_CHAIN_ID: String(h.node.chainId),
          USDC_CONTRACT: h.spec.tokens[0]!.contract,
          LOG_LEVEL: 'fatal',
        },
        { cwd: dataDir },
      );
      runtime = await createServiceRuntime(config, { service: 'evm-follower-test', logDestination: { write: () => undefined } });
    });
    afterAll(async () => {
      await runtime?.lifecycle.shutdown('test done');
      await redis?.stop();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    });

    it('follows ETH_RPC_URL with USDC_CONTRACT and stops with the lifecycle', async () => {
      const follower = startEvmFollower(runtime, { service: { pollIntervalMs: 50 } });
      expect(follower).toBeInstanceOf(ChainFollowerService);
      await waitFor('the leader', () => follower!.status().lastSyncAt !== null);
      const co = await h.createCheckout({ asset: 'USDC', dueBase: 3_000_000n });
      await h.sendUsdc(co.address, 3_000_000n);
      await waitFor('the USDC payment to settle', settled(co.id));
      const metrics = await runtime.metrics.registry.getSingleMetric('coinstile_chain_processed_height')?.get();
      expect(metrics?.values.find((v) => v.labels['chain'] === 'ethereum')?.value).toBe(await h.tipHeight());
      await runtime.lifecycle.shutdown('test');
      expect(follower!.status().role).toBe('stopped');
    });

    it('returns undefined without ETH_RPC_URL and refuses a missing ETH_CHAIN_ID or a ws:// URL', () => {
      expect(startEvmFollower({ ...runtime, config: { ...runtime.config, ethRpcUrl: undefined } })).toBeUndefined();
      expect(() => startEvmFollower({ ...runtime, config: { ...runtime.config, ethChainId: undefined } })).toThrow(EvmFollowerConfigError);
      expect(() => startEvmFollower({ ...runtime, config: { ...runtime.config, ethRpcUrl: 'ws://127.0.0.1:8546' } })).toThrow(EvmFollowerConfigError);
    });
  });
});
