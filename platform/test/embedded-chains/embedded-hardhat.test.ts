import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  type EmbeddedHardhat,
  evmRpc,
  HARDHAT_CHAIN_ID,
  HardhatMissingError,
  readEmbeddedHardhatEndpoint,
  startEmbeddedHardhat,
} from '../../src';
import { isProcessRunning } from '../process-alive';

const logger = createLogger({ logLevel: 'silent' });
const DECIMALS_SELECTOR = '0x313ce567';
const SYMBOL_SELECTOR = '0x95d89b41';
const BALANCE_OF_SELECTOR = '0x70a08231';

function balanceOfCall(account: string): string {
  return `${BALANCE_OF_SELECTOR}${account.slice(2).toLowerCase().padStart(64, '0')}`;
}

describe('startEmbeddedHardhat', () => {
  let dataDir: string;
  const started: EmbeddedHardhat[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'coinstile-embedded-hardhat-'));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts chain 31337 with the demo USDC (6 decimals, supply held by account 0), stops leaving no process, and is a fresh chain at the next start', async () => {
    const first = await startEmbeddedHardhat(dataDir, logger);
    started.push(first);
    expect(first.chainId).toBe(HARDHAT_CHAIN_ID);
    expect(Number(await evmRpc<string>(first.rpcUrl, 'eth_chainId'))).toBe(31337);
    expect(first.usdcContract).toMatch(/^0x[0-9a-f]{40}$/);
    expect(BigInt(await evmRpc<string>(first.rpcUrl, 'eth_call', [{ to: first.usdcContract, data: DECIMALS_SELECTOR }, 'latest']))).toBe(6n);
    const symbol = await evmRpc<string>(first.rpcUrl, 'eth_call', [{ to: first.usdcContract, data: SYMBOL_SELECTOR }, 'latest']);
    expect(Buffer.from(symbol.slice(2 + 128), 'hex').toString('utf8').replace(/\0+$/, '')).toBe('USDC');
    const [account0] = await evmRpc<string[]>(first.rpcUrl, 'eth_accounts');
    const supply = BigInt(await evmRpc<string>(first.rpcUrl, 'eth_call', [{ to: first.usdcContract, data: balanceOfCall(account0!) }, 'latest']));
    expect(supply).toBe(1_000_000_000_000n * 10n ** 6n);
    expect(readEmbeddedHardhatEndpoint(dataDir)).toEqual({ rpcUrl: first.rpcUrl, chainId: 31337, usdcContract: first.usdcContract });

    await evmRpc(first.rpcUrl, 'hardhat_mine', ['0x5']);
    expect(Number(await evmRpc<string>(first.rpcUrl, 'eth_blockNumber'))).toBe(6);
    await first.stop();
    expect(isProcessRunning(first.pid)).toBe(false);
    expect(readEmbeddedHardhatEndpoint(dataDir)).toBeDefined();

    const second = await startEmbeddedHardhat(dataDir, logger);
    started.push(second);
    // In memory only: block 1 is the token's deployment again, at the same address.
    expect(Number(await evmRpc<string>(second.rpcUrl, 'eth_blockNumber'))).toBe(1);
    expect(second.usdcContract).toBe(first.usdcContract);
    expect(readEmbeddedHardhatEndpoint(dataDir)?.rpcUrl).toBe(second.rpcUrl);
    await second.stop();
    expect(isProcessRunning(second.pid)).toBe(false);
  }, 180_000);

  it.each(['hardhat', 'solc'] as const)('throws HardhatMissingError naming %s when that package cannot be resolved', async (missing) => {
    const resolveModule = (id: string) => {
      if (id === missing || id.startsWith(`${missing}/`)) throw new Error(`Cannot find module '${id}'`);
      return require.resolve(id);
    };
    const attempt = startEmbeddedHardhat(dataDir, logger, { resolveModule });
    await expect(attempt).rejects.toBeInstanceOf(HardhatMissingError);
    await expect(attempt).rejects.toMatchObject({ missingPackage: missing });
    await expect(attempt).rejects.toThrow('ETH_RPC_URL');
  });
});
