import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  bitcoinRpc,
  type Database,
  evmRpc,
  Lifecycle,
  loadConfig,
  migrateToLatest,
  openDatabase,
  readEmbeddedHardhatEndpoint,
  readEmbeddedLitecoindEndpoint,
  withEmbeddedChains,
} from '../../src';
import { isProcessRunning } from '../process-alive';

interface LogLine {
  level: number;
  msg: string;
}

function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}


describe('withEmbeddedChains', () => {
  let dataDir: string;
  let lifecycle: Lifecycle | undefined;
  let database: Database | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-with-chains-'));
  });
  afterEach(async () => {
    await lifecycle?.shutdown('test over');
    lifecycle = undefined;
    await database?.close();
    database = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fills the chain settings the operator left unset from embedded nodes, keeps those it set, forgets the EVM follower progress of the last run, and the lifecycle stops the nodes', async () => {
    const { logger, lines } = capturingLogger();
    lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 30_000 });
    database = await openDatabase({ dataDir });
    await migrateToLatest(database);
    // What the followers remembered of the previous run's chains.
    for (const chain of ['ethereum', 'litecoin']) {
      await database.kysely.insertInto('chain_cursors').values({ chain, height: '40', block_hash: `0x${chain}40` }).execute();
      await database.kysely.insertInto('chain_recent_blocks').values({ chain, height: '40', hash: `0x${chain}40`, parent_hash: `0x${chain}39` }).execute();
    }
    const config = loadConfig({ COINSTILE_DATA_DIR: dataDir, ETH_CHAIN_ID: '31337' }, { cwd: dataDir });
    const filled = await withEmbeddedChains(config, dataDir, logger, lifecycle, { database });
    // Hardhat's chain is new; litecoind's persisted chain is the same one.
    expect((await database.kysely.selectFrom('chain_cursors').select('chain').execute()).map((r) => r.chain)).toEqual(['litecoin']);
    expect((await database.kysely.selectFrom('chain_recent_blocks').select('chain').execute()).map((r) => r.chain)).toEqual(['litecoin']);

    expect(filled.ltcNetwork).toBe('regtest');
    expect(filled.ltcRpcUrl).toBe(readEmbeddedLitecoindEndpoint(dataDir)?.rpcUrl);
    expect(await bitcoinRpc<number>(filled.ltcRpcUrl!, 'getblockcount')).toBe(101);
    expect(filled.ethRpcUrl).toBe(readEmbeddedHardhatEndpoint(dataDir)?.rpcUrl);
    expect(filled.ethChainId).toBe(31337);
    expect(filled.usdcContract).toBe(readEmbeddedHardhatEndpoint(dataDir)?.usdcContract);
    expect(Number(await evmRpc<string>(filled.ethRpcUrl!, 'eth_chainId'))).toBe(31337);
    // Everything else is the operator's configuration, and the result still logs without secrets.
    expect({ ...filled, ltcRpcUrl: undefined, ethRpcUrl: undefined, usdcContract: undefined }).toEqual({
      ...config,
      ltcNetwork: 'regtest',
    });
    expect(Object.isFrozen(filled)).toBe(true);
    expect(JSON.stringify(filled)).not.toContain(new URL(filled.ltcRpcUrl!).password);

    const started = lines.filter((l) => /^embedded (litecoind|Hardhat node)/.test(l.msg)) as (LogLine & { nodePid: number })[];
    expect(started).toHaveLength(2);
    const report = await lifecycle.shutdown('test');
    expect(report.clean).toBe(true);
    expect(report.components.map((c) => c.name)).toEqual(['embedded-hardhat', 'embedded-litecoind']);
    for (const line of started) expect(isProcessRunning(line.nodePid)).toBe(false);
  }, 180_000);

  it('starts nothing for chains the operator configured', async () => {
    const { logger } = capturingLogger();
    lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 30_000 });
    const config = loadConfig(
      {
        COINSTILE_DATA_DIR: dataDir,
        LTC_RPC_URL: 'http://user:pass@ltc.example:9332',
        LTC_NETWORK: 'mainnet',
        ETH_RPC_URL: 'https://eth.example/v3/key',
        ETH_CHAIN_ID: '1',
      },
      { cwd: dataDir },
    );
    const filled = await withEmbeddedChains(config, dataDir, logger, lifecycle);
    expect(filled).toEqual(config);
    expect(readEmbeddedLitecoindEndpoint(dataDir)).toBeUndefined();
    expect(readEmbeddedHardhatEndpoint(dataDir)).toBeUndefined();
    expect((await lifecycle.shutdown('test')).components).toEqual([]);
  });

  it('logs a notice with the install hint, and goes on without the chain, when litecoind or hardhat is missing', async () => {
    const { logger, lines } = capturingLogger();
    lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 30_000 });
    const config = loadConfig({ COINSTILE_DATA_DIR: dataDir }, { cwd: dataDir });
    const filled = await withEmbeddedChains(config, dataDir, logger, lifecycle, {
      litecoind: { path: join(dataDir, 'no-bin') },
      hardhat: {
        resolveModule: (id) => {
          throw new Error(`Cannot find module '${id}'`);
        },
      },
    });
    expect(filled).toEqual(config);
    const notices = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(notices).toEqual([
      expect.stringContaining('No Litecoin chain: litecoind was not found on PATH. Install it (Debian/Ubuntu: sudo apt-get install litecoind)'),
      expect.stringContaining('No EVM chain: the npm package hardhat is not installed'),
    ]);
  });

  it('starts no embedded chain under NODE_ENV=production', async () => {
    const { logger, lines } = capturingLogger();
    lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: 30_000 });
    const config = loadConfig({ COINSTILE_DATA_DIR: dataDir, NODE_ENV: 'production', FX_SOURCES: 'coinbase' }, { cwd: dataDir });
    expect(await withEmbeddedChains(config, dataDir, logger, lifecycle)).toBe(config);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining('NODE_ENV=production')]);
    expect(readEmbeddedLitecoindEndpoint(dataDir)).toBeUndefined();
  });
});
