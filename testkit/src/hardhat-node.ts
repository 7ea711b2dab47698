import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Contract, ContractFactory, JsonRpcProvider, Network, type Signer } from 'ethers';
import { compileTestToken } from './erc20/compile-test-token';
import { freePort } from './free-port';
import { ManagedProcess, readTail } from './managed-process';
import { registerCleanup } from './process-registry';
import { createTempDir } from './temp-dir';

export interface HardhatNode {
  /** http://127.0.0.1:<port> */
  readonly rpcUrl: string;
  /** 31337 */
  readonly chainId: number;
  readonly provider: JsonRpcProvider;
  /** Funded accounts of the node (ethers signers; the node holds their keys). */
  signer(index?: number): Promise<Signer>;
  /** Sends ETH and waits for it to be mined; returns the tx hash. */
  sendEth(to: string, amountWei: bigint, fromIndex?: number): Promise<string>;
  /** Deploys the test ERC-20 (compiled with solc-js); the deployer (account 0) holds the supply. */
  deployErc20(opts?: DeployErc20Options): Promise<Contract>;
  mine(blocks?: number): Promise<void>;
  snapshot(): Promise<string>;
  revert(id: string): Promise<void>;
  /** Stops the node and deletes its temp dir; idempotent. */
  stop(): Promise<void>;
}

export interface DeployErc20Options {
  /** Default `USD Coin`. */
  readonly name?: string;
  /** Default `USDC`. */
  readonly symbol?: string;
  /** Default 6 (USDC's). */
  readonly decimals?: number;
}

const CHAIN_ID = 31337;
const READY_TIMEOUT_MS = 60_000;
/** Minted to the deployer: a trillion whole tokens. */
const INITIAL_WHOLE_TOKENS = 1_000_000_000_000n;

/** Answers true once the node's JSON-RPC server reports the expected chain id. */
async function answersChainId(rpcUrl: string): Promise<boolean> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
  });
  const body = (await response.json()) as { result?: string };
  return body.result !== undefined && Number(body.result) === CHAIN_ID;
}

class LocalHardhatNode implements HardhatNode {
  readonly rpcUrl: string;
  readonly chainId = CHAIN_ID;
  readonly provider: JsonRpcProvider;
  private stopping: Promise<void> | undefined;
  private readonly unregisterCleanup: () => void;

  constructor(
    private readonly projectDir: string,
    private readonly process: ManagedProcess,
    port: number,
  ) {
    this.rpcUrl = `http://127.0.0.1:${port}`;
    const network = Network.from(CHAIN_ID);
    this.provider = new JsonRpcProvider(this.rpcUrl, network, {
      staticNetwork: network,
      pollingInterval: 50,
      // ethers shares identical calls made within 250 ms by default: a test reading the block number
      // right after mining would see the old one.
      cacheTimeout: -1,
    });
    this.unregisterCleanup = registerCleanup(() => rmSync(projectDir, { recursive: true, force: true }));
  }

  signer(index = 0): Promise<Signer> {
    return this.provider.getSigner(index);
  }

  async sendEth(to: string, amountWei: bigint, fromIndex = 0): Promise<string> {
    const signer = await this.signer(fromIndex);
    const tx = await signer.sendTransaction({ to, value: amountWei });
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`sendEth: transaction ${tx.hash} failed`);
    return tx.hash;
  }

  async deployErc20(opts: DeployErc20Options = {}): Promise<Contract> {
    const decimals = opts.decimals ?? 6;
    if (!Number.isInteger(decimals) || decimals < 0 || decimals > 77) {
      throw new RangeError(`deployErc20: decimals must be an integer from 0 to 77, got ${decimals}`);
    }
    const { abi, bytecode } = await compileTestToken();
    const deployer = await this.signer(0);
    const factory = new ContractFactory(abi as never[], bytecode, deployer);
    const deployed = await factory.deploy(
      opts.name ?? 'USD Coin',
      opts.symbol ?? 'USDC',
      decimals,
      INITIAL_WHOLE_TOKENS * 10n ** BigInt(decimals),
    );
    await deployed.waitForDeployment();
    return new Contract(await deployed.getAddress(), abi as never[], deployer);
  }

  async mine(blocks = 1): Promise<void> {
    if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError(`mine: ${blocks} is not a block count`);
    await this.provider.send('hardhat_mine', [`0x${blocks.toString(16)}`]);
  }

  snapshot(): Promise<string> {
    return this.provider.send('evm_snapshot', []) as Promise<string>;
  }

  async revert(id: string): Promise<void> {
    const reverted = (await this.provider.send('evm_revert', [id])) as boolean;
    if (!reverted) throw new Error(`revert: snapshot ${id} is unknown or already used`);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.provider.destroy();
      await this.process.stop('SIGTERM', 5_000);
      rmSync(this.projectDir, { recursive: true, force: true });
      this.unregisterCleanup();
    })();
    return this.stopping;
  }
}

/** The node_modules folder that holds hardhat (the project's, with npm workspaces hoisting). */
function nodeModulesWithHardhat(): string {
  return dirname(dirname(require.resolve('hardhat/package.json')));
}

/**
 * Starts `hardhat node` (chain id 31337, automining, 20 funded accounts) on 127.0.0.1 at a free port.
 * Hardhat runs only from a project that has it installed locally, so the temp project dir gets a
 * `node_modules` symlink to ours next to its minimal hardhat.config.js.
 */
export async function startHardhat(): Promise<HardhatNode> {
  for (let attempt = 1; ; attempt++) {
    const projectDir = createTempDir('coinstile-hardhat-');
    const configFile = join(projectDir, 'hardhat.config.js');
    const logFile = join(projectDir, 'hardhat.log');
    writeFileSync(configFile, `module.exports = { networks: { hardhat: { chainId: ${CHAIN_ID} } } };\n`);
    symlinkSync(nodeModulesWithHardhat(), join(projectDir, 'node_modules'), 'dir');
    const port = await freePort();
    const hardhat = ManagedProcess.start({
      name: 'hardhat node',
      command: process.execPath,
      args: [
        join(nodeModulesWithHardhat(), 'hardhat', 'internal', 'cli', 'cli.js'),
        'node',
        '--hostname', '127.0.0.1',
        '--port', String(port),
        '--config', configFile,
      ],
      logFile,
      cwd: projectDir,
      // NODE_OPTIONS of the test run (e.g. --inspect) must not reach the node child.
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', NODE_OPTIONS: '' },
    });
    try {
      await hardhat.waitUntilReady(() => answersChainId(`http://127.0.0.1:${port}`), READY_TIMEOUT_MS);
      return new LocalHardhatNode(projectDir, hardhat, port);
    } catch (error) {
      await hardhat.stop('SIGTERM', 5_000);
      const portClash = /EADDRINUSE/.test(readTail(logFile, 8000));
      rmSync(projectDir, { recursive: true, force: true });
      // Another process may take the port between freePort() and the bind; try another one.
      if (!portClash || attempt >= 3) throw error;
    }
  }
}
