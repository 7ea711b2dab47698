import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '@coinstile/gateway';
import { startPayouts } from '@coinstile/merchant-payouts';
import { createServiceRuntime, loadConfig, type ServiceRuntime, withEmbeddedChains } from '@coinstile/platform';
import { deriveAddress, parseReceivingWallet, startEvmFollower, startVerifier } from '@coinstile/wallet-verifier';
import { loadOrCreateDemoStoreWallets } from '../src/demo/demo-store-wallets';
import { runDemo } from '../src/demo/run-demo';

const OPERATOR_TOKEN = 'demo-test-operator-token-0123456789';

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('demo store wallets', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-demo-wallets-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('makes a regtest LTC account tpub and an ETH xpub that Coinstile accepts, kept (0600) for the next run', () => {
    const wallets = loadOrCreateDemoStoreWallets(dataDir);
    expect(wallets.ltcTpub).toMatch(/^tpub/);
    expect(wallets.ethXpub).toMatch(/^xpub/);
    const ltc = parseReceivingWallet('LTC', 'regtest', wallets.ltcTpub);
    expect(deriveAddress(ltc, 0)).toMatch(/^rltc1q/);
    expect(() => parseReceivingWallet('LTC', 'mainnet', wallets.ltcTpub)).toThrow();
    expect(deriveAddress(parseReceivingWallet('ETH', 'mainnet', wallets.ethXpub), 0)).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(statSync(join(dataDir, 'demo', 'store-wallets.json')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateDemoStoreWallets(dataDir)).toEqual(wallets);
  });
});

/**
 * The whole embedded default in this process, as `coinstile start` will run it: PGlite, an embedded
 * redis-server, embedded litecoind and Hardhat, the gateway, the verifier (LTC and EVM followers) and the
 * settlement pipeline. The demo then runs against it over HTTP.
 */
describe('coinstile demo against an in-process Coinstile on the embedded chains', () => {
  let dataDir: string;
  let runtime: ServiceRuntime | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-demo-'));
  });
  afterAll(async () => {
    await runtime?.lifecycle.shutdown('test over');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates and verifies a demo store, pays LTC, ETH and USDC checkouts that settle and are released with a payout, then reuses the store', async () => {
    const config = loadConfig({ COINSTILE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', COINSTILE_OPERATOR_TOKEN: OPERATOR_TOKEN }, { cwd: dataDir });
    const base = await createServiceRuntime(config, { service: 'coinstile' });
    runtime = base;
    const withChains: ServiceRuntime = { ...base, config: await withEmbeddedChains(base.config, base.config.dataDir, base.logger, base.lifecycle) };
    expect(withChains.config.ltcNetwork).toBe('regtest');
    expect(withChains.config.usdcContract).toBeDefined();
    const gateway = await startGateway(withChains, { port: 0 });
    await startVerifier(withChains, { service: { pollIntervalMs: 100 } });
    startEvmFollower(withChains, { service: { pollIntervalMs: 100 } });
    startPayouts(withChains, { relayPollIntervalMs: 50 });

    const lines: string[] = [];
    const result = await runDemo({
      baseUrl: gateway.listenUrl,
      operatorToken: OPERATOR_TOKEN,
      // The demo reads the configuration as its own process would: no chain URLs, the same data folder.
      config,
      count: 3,
      intervalMs: 100,
      blockIntervalMs: 1_000,
      pollIntervalMs: 250,
      finishTimeoutMs: 90_000,
      out: (line) => lines.push(line),
    });
    const output = lines.join('\n');

    expect(result.assets).toEqual(['LTC', 'ETH', 'USDC']);
    expect(result.checkouts.map((c) => c.asset)).toEqual(['LTC', 'ETH', 'USDC']);
    const finalStage = result.payoutsVisible ? 'released' : 'settled';
    expect({ output, stages: result.checkouts.map((c) => c.stage) }).toEqual({ output, stages: [finalStage, finalStage, finalStage] });
    expect(output).toMatch(/Demo store st_\S+ \(created and verified\)/);
    // Two confirmations are needed (low_medium_speed): the LTC payment is seen on chain before it settles.
    expect(output).toMatch(new RegExp(`${result.checkouts[0]!.id} .*(paid, seen on chain|processing): .*tx [0-9a-f]{10}…[0-9a-f]{4}`));
    for (const { id } of result.checkouts) {
      expect(output).toMatch(new RegExp(`${id} .*new: order DEMO-`));
      expect(output).toMatch(new RegExp(`${id} .*settled`));
    }

    // Released once and a payout queued for each, whether or not the API shows payouts yet.
    const ids = result.checkouts.map((c) => c.id);
    const db = withChains.db.kysely;
    await waitUntil(
      async () => (await db.selectFrom('payouts').select('checkout_id').where('checkout_id', 'in', ids).execute()).length === 3,
      30_000,
      'a payout for each demo checkout',
    );
    const payouts = await db.selectFrom('payouts').select(['checkout_id', 'status']).where('checkout_id', 'in', ids).execute();
    expect(payouts.map((p) => p.status).sort()).toEqual(['scheduled', 'scheduled', 'scheduled']);

    const again: string[] = [];
    const second = await runDemo({
      baseUrl: gateway.listenUrl,
      operatorToken: OPERATOR_TOKEN,
      config,
      count: 1,
      intervalMs: 0,
      blockIntervalMs: 1_000,
      pollIntervalMs: 250,
      finishTimeoutMs: 60_000,
      out: (line) => again.push(line),
    });
    expect(second.storeId).toBe(result.storeId);
    expect(again.join('\n')).toContain(`Demo store ${result.storeId} (reused)`);
    expect(second.checkouts.map((c) => c.stage)).toEqual([finalStage]);
  }, 240_000);
});
