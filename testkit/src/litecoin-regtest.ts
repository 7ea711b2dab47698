import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BitcoinRpcError, bitcoinRpc } from './bitcoin-rpc';
import { freePort } from './free-port';
import { ManagedProcess, readTail } from './managed-process';
import { registerCleanup } from './process-registry';
import { createTempDir } from './temp-dir';

export interface LitecoinRegtest {
  /** http://user:pass@127.0.0.1:port (Bitcoin Core JSON-RPC). */
  readonly rpcUrl: string;
  /** rpcUrl + /wallet/<name> of the funded test wallet. */
  readonly walletRpcUrl: string;
  /** Node-level calls. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Calls on the funded wallet. */
  walletRpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** A new rltc1… address of the funded wallet. */
  newAddress(): Promise<string>;
  /** Mines `blocks` blocks (to the funded wallet unless `toAddress` is given); returns their hashes. */
  mine(blocks: number, toAddress?: string): Promise<string[]>;
  /** Sends from the funded wallet; `replaceable` signals BIP125 RBF. Returns the txid. */
  sendToAddress(address: string, amountLtc: string, opts?: { replaceable?: boolean }): Promise<string>;
  invalidateBlock(hash: string): Promise<void>;
  reconsiderBlock(hash: string): Promise<void>;
  /** Stops the node and deletes its datadir; idempotent. */
  stop(): Promise<void>;
  /** Stops the node and starts it again on the same datadir and port (the wallet is loaded again). */
  restart(): Promise<void>;
}

const WALLET_NAME = 'funder';
const READY_TIMEOUT_MS = 60_000;
/** Coinbase outputs mature after 100 blocks: 101 leave the first block's 50 LTC spendable. */
const INITIAL_BLOCKS = 101;
/** RPC error while the node is still starting (loading block index, wallet, verifying blocks). */
const RPC_IN_WARMUP = -28;

class RegtestLitecoind implements LitecoinRegtest {
  readonly rpcUrl: string;
  readonly walletRpcUrl: string;
  private process: ManagedProcess | undefined;
  private stopping: Promise<void> | undefined;
  private miningAddress: string | undefined;
  private readonly logFile: string;
  private readonly unregisterCleanup: () => void;

  constructor(
    private readonly dataDir: string,
    private readonly rpcPort: number,
    private readonly p2pPort: number,
    private readonly rpcUser: string,
    private readonly rpcPassword: string,
  ) {
    this.logFile = join(dataDir, 'litecoind.log');
    this.rpcUrl = `http://${rpcUser}:${rpcPassword}@127.0.0.1:${rpcPort}`;
    this.walletRpcUrl = `${this.rpcUrl}/wallet/${WALLET_NAME}`;
    this.unregisterCleanup = registerCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
  }

  async start(): Promise<void> {
    if (this.stopping !== undefined) throw new Error('LitecoinRegtest: already stopped');
    const litecoind = ManagedProcess.start({
      name: 'litecoind',
      command: 'litecoind',
      args: [
        '-regtest',
        `-datadir=${this.dataDir}`,
        '-server',
        '-txindex',
        '-fallbackfee=0.0001',
        `-rpcuser=${this.rpcUser}`,
        `-rpcpassword=${this.rpcPassword}`,
        '-rpcbind=127.0.0.1',
        '-rpcallowip=127.0.0.1',
        `-rpcport=${this.rpcPort}`,
        // Verifiers poll in parallel; the default queue of 16 answers "Work queue depth exceeded".
        '-rpcthreads=8',
        '-rpcworkqueue=256',
        `-port=${this.p2pPort}`,
        '-listen=0',
        '-dnsseed=0',
        '-upnp=0',
        '-discover=0',
        // MWEB's regtest deployment activates at height 432, after which this node cannot mine a block
        // (CreateNewBlock: bad-txns-vin-empty) until someone pegs coins into MWEB. Tests mine freely, so
        // the deployment is set to never activate (the heights are given too: left out, 0.21.2.1 logs
        // uninitialized values for them).
        '-vbparams=mweb:-2:-2:2147483647:2147483647',
        '-keypool=100',
        '-printtoconsole',
        '-nodebuglogfile',
      ],
      logFile: this.logFile,
      cwd: this.dataDir,
    });
    this.process = litecoind;
    await litecoind.waitUntilReady(async () => {
      try {
        await this.rpc('getblockchaininfo');
        return true;
      } catch (error) {
        if (error instanceof BitcoinRpcError && error.code === RPC_IN_WARMUP) return false;
        throw error;
      }
    }, READY_TIMEOUT_MS);
  }

  /** Creates the funded wallet and mines 101 blocks to it. */
  async fund(): Promise<void> {
    await this.createWallet();
    this.miningAddress = await this.newAddress();
    await this.mine(INITIAL_BLOCKS);
  }

  /**
   * A descriptor wallet where the build supports it; Debian's litecoind 0.21 is built without SQLite
   * ("Compiled without sqlite support (required for descriptor wallets)"), so a legacy wallet then.
   */
  private async createWallet(): Promise<void> {
    try {
      await this.rpc('createwallet', [WALLET_NAME, false, false, '', false, true]);
    } catch (error) {
      if (!(error instanceof BitcoinRpcError && /sqlite/i.test(error.message))) throw error;
      await this.rpc('createwallet', [WALLET_NAME, false, false, '', false, false]);
    }
  }

  logMentionsPortInUse(): boolean {
    return /Unable to bind|Address already in use/i.test(readTail(this.logFile, 8000));
  }

  rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return bitcoinRpc<T>(this.rpcUrl, method, params);
  }

  walletRpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    return bitcoinRpc<T>(this.walletRpcUrl, method, params);
  }

  newAddress(): Promise<string> {
    return this.walletRpc<string>('getnewaddress', ['', 'bech32']);
  }

  async mine(blocks: number, toAddress?: string): Promise<string[]> {
    if (!Number.isInteger(blocks) || blocks < 0) throw new RangeError(`mine: ${blocks} is not a block count`);
    const address = toAddress ?? this.miningAddress ?? (this.miningAddress = await this.newAddress());
    return this.rpc<string[]>('generatetoaddress', [blocks, address]);
  }

  sendToAddress(address: string, amountLtc: string, opts: { replaceable?: boolean } = {}): Promise<string> {
    return this.walletRpc<string>('sendtoaddress', [address, amountLtc, '', '', false, opts.replaceable ?? false]);
  }

  async invalidateBlock(hash: string): Promise<void> {
    await this.rpc('invalidateblock', [hash]);
  }

  async reconsiderBlock(hash: string): Promise<void> {
    await this.rpc('reconsiderblock', [hash]);
  }

  async restart(): Promise<void> {
    const litecoind = this.process;
    if (litecoind !== undefined && !litecoind.hasExited) await litecoind.stop('SIGTERM', 30_000);
    await this.start();
    await this.rpc('loadwallet', [WALLET_NAME]);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.process !== undefined) await this.process.stop('SIGTERM', 30_000);
      rmSync(this.dataDir, { recursive: true, force: true });
      this.unregisterCleanup();
    })();
    return this.stopping;
  }
}

/**
 * Starts litecoind -regtest (temp datadir, free RPC and P2P ports, random RPC credentials, no network)
 * with a funded wallet: 101 blocks mined to it, so 50 LTC are spendable at once.
 */
export async function startLitecoind(): Promise<LitecoinRegtest> {
  for (let attempt = 1; ; attempt++) {
    const node = new RegtestLitecoind(
      createTempDir('coinstile-ltc-'),
      await freePort(),
      await freePort(),
      `u${randomBytes(8).toString('hex')}`,
      randomBytes(24).toString('hex'),
    );
    try {
      await node.start();
      await node.fund();
      return node;
    } catch (error) {
      const portClash = node.logMentionsPortInUse();
      await node.stop();
      // Another process may take the port between freePort() and the bind; try another one.
      if (!portClash || attempt >= 3) throw error;
    }
  }
}
