import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bitcoinRpc,
  createLogger,
  DEMO_WALLET_NAME,
  type EmbeddedLitecoind,
  LitecoindMissingError,
  readEmbeddedLitecoindEndpoint,
  startEmbeddedLitecoind,
} from '../../src';
import { isProcessRunning } from '../process-alive';

const logger = createLogger({ logLevel: 'silent' });

describe('startEmbeddedLitecoind', () => {
  let dataDir: string;
  const started: EmbeddedLitecoind[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-embedded-ltc-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts a funded regtest node that answers RPC, stops leaving no process, and restarts with the same wallet, height and credentials', async () => {
    const first = await startEmbeddedLitecoind(dataDir, logger);
    started.push(first);
    expect(first.network).toBe('regtest');
    expect(first.dataDir).toBe(join(dataDir, 'litecoin-regtest'));
    expect(first.rpcUrl).toMatch(/^http:\/\/coinstile-[0-9a-f]{12}:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    const info = await bitcoinRpc<{ chain: string; blocks: number }>(first.rpcUrl, 'getblockchaininfo');
    expect(info).toMatchObject({ chain: 'regtest', blocks: 101 });
    expect(await bitcoinRpc<string[]>(first.rpcUrl, 'listwallets')).toEqual([DEMO_WALLET_NAME]);
    // The first block's reward has matured: the demo can pay at once.
    expect(await bitcoinRpc<number>(first.walletRpcUrl, 'getbalance')).toBe(50);
    expect(statSync(join(first.dataDir, 'coinstile-rpc.json')).mode & 0o777).toBe(0o600);
    expect(readEmbeddedLitecoindEndpoint(dataDir)).toEqual({ rpcUrl: first.rpcUrl, walletRpcUrl: first.walletRpcUrl, network: 'regtest' });

    // Past MWEB's regtest activation height (432): mining must go on.
    const address = await bitcoinRpc<string>(first.walletRpcUrl, 'getnewaddress', ['', 'bech32']);
    await bitcoinRpc(first.rpcUrl, 'generatetoaddress', [350, address], 120_000);
    const txid = await bitcoinRpc<string>(first.walletRpcUrl, 'sendtoaddress', [address, '1.5']);
    await bitcoinRpc(first.rpcUrl, 'generatetoaddress', [1, address]);
    const tipHash = await bitcoinRpc<string>(first.rpcUrl, 'getbestblockhash');

    await first.stop();
    expect(isProcessRunning(first.pid)).toBe(false);
    await first.stop(); // idempotent

    const second = await startEmbeddedLitecoind(dataDir, logger);
    started.push(second);
    expect(second.pid).not.toBe(first.pid);
    // Same credentials (the port is chosen again).
    expect(new URL(second.rpcUrl).username).toBe(new URL(first.rpcUrl).username);
    expect(new URL(second.rpcUrl).password).toBe(new URL(first.rpcUrl).password);
    expect(readEmbeddedLitecoindEndpoint(dataDir)?.rpcUrl).toBe(second.rpcUrl);
    expect(await bitcoinRpc<number>(second.rpcUrl, 'getblockcount')).toBe(452);
    expect(await bitcoinRpc<string>(second.rpcUrl, 'getbestblockhash')).toBe(tipHash);
    expect(await bitcoinRpc<string[]>(second.rpcUrl, 'listwallets')).toEqual([DEMO_WALLET_NAME]);
    expect(await bitcoinRpc<{ ismine: boolean }>(second.walletRpcUrl, 'getaddressinfo', [address])).toMatchObject({ ismine: true });
    expect(await bitcoinRpc<{ confirmations: number }>(second.walletRpcUrl, 'gettransaction', [txid])).toMatchObject({ confirmations: 1 });
    await second.stop();
    expect(isProcessRunning(second.pid)).toBe(false);
  }, 180_000);

  it('refuses to start on a datadir another embedded node holds', async () => {
    const first = await startEmbeddedLitecoind(dataDir, logger);
    started.push(first);
    await expect(startEmbeddedLitecoind(dataDir, logger, { startTimeoutMs: 20_000 })).rejects.toThrow(/embedded litecoind did not start.*lock/is);
    expect(await bitcoinRpc<number>(first.rpcUrl, 'getblockcount')).toBe(101);
  }, 120_000);

  it('throws LitecoindMissingError, with the install hint, when litecoind is not on PATH', async () => {
    const missing = startEmbeddedLitecoind(dataDir, logger, { path: join(dataDir, 'no-bin') });
    await expect(missing).rejects.toBeInstanceOf(LitecoindMissingError);
    await expect(missing).rejects.toThrow('sudo apt-get install litecoind');
    expect(readEmbeddedLitecoindEndpoint(dataDir)).toBeUndefined();
  });
});
