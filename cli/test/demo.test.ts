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
    const eth = deriveAddress(parseReceivingWallet('ETH', 'mainnet', wallets.ethXpub), 0);
    expect(eth).toMatch(/^0x[0-9a-fA-F]{40}$/);
    // USDC has its own key: the first USDC checkout must not share the first ETH checkout's address.
    expect(deriveAddress(parseReceivingWallet('USDC', 'mainnet', wallets.usdcXpub), 0)).not.toBe(eth);
    expect(statSync(join(dataDir, 'demo', 'store-wallets.json')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateDemoStoreWallets(dataDir)).toEqual(wallets);
  });
});

/**
 * The whole embedded default in this process, as `coinstile start` will run it: PGlite, an embedded
 * redis-server, embedded litecoind and Hardhat, the gateway, the verifier (LTC and EVM followers) and the
 * settlement pipeline. The demo then runs against it over HTTP, as its own process would.
 */
async function startEmbeddedCoinstile(dataDir: string): Promise<{ runtime: ServiceRuntime; listenUrl: string }> {
  const config = loadConfig({ COINSTILE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', COINSTILE_OPERATOR_TOKEN: OPERATOR_TOKEN }, { cwd: dataDir });
  const base = await createServiceRuntime(config, { service: 'coinstile' });
  try {
    const chains = await withEmbeddedChains(base.config, base.config.dataDir, base.logger, base.lifecycle, { database: base.db });
    const runtime: ServiceRuntime = { ...base, config: chains };
    const gateway = await startGateway(runtime, { port: 0 });
    await startVerifier(runtime, { service: { pollIntervalMs: 100 } });
    startEvmFollower(runtime, { service: { pollIntervalMs: 100 } });
    startPayouts(runtime, { relayPollIntervalMs: 50 });
    return { runtime, listenUrl: gateway.listenUrl };
  } catch (err) {
    await base.lifecycle.shutdown('start-up failed');
    throw err;
  }
}

describe('coinstile demo against an in-process Coinstile on the embedded chains', () => {
  let dataDir: string;
  let coinstile: { runtime: ServiceRuntime; listenUrl: string } | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-demo-'));
  });
  afterAll(async () => {
    await coinstile?.runtime.lifecycle.shutdown('test over');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates and verifies a demo store, pays LTC, ETH and USDC checkouts that settle and are released with a payout; after a restart it reuses the store and pays again', async () => {
    coinstile = await startEmbeddedCoinstile(dataDir);
    expect(coinstile.runtime.config.ltcNetwork).toBe('regtest');
    expect(coinstile.runtime.config.usdcContract).toBeDefined();
    // The demo reads the configuration as its own process would: no chain URLs, the same data folder.
    const demoConfig = loadConfig({ COINSTILE_DATA_DIR: dataDir }, { cwd: dataDir });
    const demo = (count: number, out: string[]) =>
      runDemo({
        baseUrl: coinstile!.listenUrl,
        operatorToken: OPERATOR_TOKEN,
        config: demoConfig,
        count,
        intervalMs: 100,
        blockIntervalMs: 1_000,
        pollIntervalMs: 250,
        finishTimeoutMs: 90_000,
        out: (line) => out.push(line),
      });

    const lines: string[] = [];
    const result = await demo(3, lines);
    const output = lines.join('\n');
    expect(result.assets).toEqual(['LTC', 'ETH', 'USDC']);
    expect(result.checkouts.map((c) => c.asset)).toEqual(['LTC', 'ETH', 'USDC']);
    // GET /v1/payouts shows the demo each payout, so every checkout is followed to its release.
    expect(result.payoutsVisible).toBe(true);
    expect({ output, stages: result.checkouts.map((c) => c.stage) }).toEqual({ output, stages: ['released', 'released', 'released'] });
    expect(output).toMatch(/Demo store st_\S+ \(created and verified\)/);
    // Two confirmations are needed (low_medium_speed): the LTC payment is seen on chain before it settles.
    expect(output).toMatch(new RegExp(`${result.checkouts[0]!.id} .*(paid, seen on chain|processing): .*tx [0-9a-f]{10}…[0-9a-f]{4}`));
    const addresses = result.checkouts.map((c) => new RegExp(`${c.id} .*new: .* to (\\S+)`).exec(output)?.[1]);
    expect(new Set(addresses).size).toBe(3);
    for (const { id } of result.checkouts) {
      expect(output).toMatch(new RegExp(`${id} .*new: order DEMO-`));
      expect(output).toMatch(new RegExp(`${id} .*settled`));
    }

    // Released once and a payout queued for each, whether or not the API shows payouts yet.
    const payoutsOf = async (ids: readonly string[]) =>
      coinstile!.runtime.db.kysely.selectFrom('payouts').select(['checkout_id', 'status']).where('checkout_id', 'in', ids).execute();
    const ids = result.checkouts.map((c) => c.id);
    await waitUntil(async () => (await payoutsOf(ids)).length === 3, 30_000, 'a payout for each demo checkout');
    expect((await payoutsOf(ids)).map((p) => p.status)).toEqual(['scheduled', 'scheduled', 'scheduled']);

    // Stop everything and start again on the same data folder: litecoind's chain and wallet and the
    // database persist, Hardhat's chain is new. The demo store is reused and paid again on both chains.
    const report = await coinstile.runtime.lifecycle.shutdown('restart');
    expect(report.clean).toBe(true);
    coinstile = await startEmbeddedCoinstile(dataDir);
    const again: string[] = [];
    const second = await demo(2, again);
    expect(second.storeId).toBe(result.storeId);
    expect(again.join('\n')).toContain(`Demo store ${result.storeId} (reused)`);
    expect({ output: again.join('\n'), stages: second.checkouts.map((c) => [c.asset, c.stage]) }).toEqual({
      output: again.join('\n'),
      stages: [
        ['LTC', 'released'],
        ['ETH', 'released'],
      ],
    });
    await waitUntil(async () => (await payoutsOf(second.checkouts.map((c) => c.id))).length === 2, 30_000, 'payouts after the restart');

    // The kept store forgotten (its file deleted): a new store, whose wallets cannot be the first store's.
    const walletsBefore = loadOrCreateDemoStoreWallets(dataDir);
    rmSync(join(dataDir, 'demo', 'demo-store.json'));
    const third = await demo(1, []);
    expect(third.storeId).not.toBe(result.storeId);
    expect(third.checkouts.map((c) => c.stage)).toEqual(['released']);
    expect(loadOrCreateDemoStoreWallets(dataDir).ltcTpub).not.toBe(walletsBefore.ltcTpub);
  }, 300_000);
});
