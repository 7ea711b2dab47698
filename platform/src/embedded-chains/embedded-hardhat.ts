import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { evmRpc } from './chain-rpc';
import { type ChainProcess, delay, freeLoopbackPort, launchChainProcess, logTail } from './chain-process';
import { demoUsdcBytecode } from './demo-usdc-token';
import { ChainRpcError, EmbeddedChainStartError, HardhatMissingError } from './embedded-chain-errors';

/** Hardhat's default chain id, which wallets know as "localhost". */
export const HARDHAT_CHAIN_ID = 31337;
const ENDPOINT_FILE = 'coinstile-endpoint.json';

export interface EmbeddedHardhat {
  /** `http://127.0.0.1:<port>`: what `ETH_RPC_URL` takes. */
  readonly rpcUrl: string;
  readonly chainId: typeof HARDHAT_CHAIN_ID;
  /** The demo "USDC" (6 decimals) deployed at this start: what `USDC_CONTRACT` takes. */
  readonly usdcContract: string;
  readonly pid: number;
  /** `<dataDir>/hardhat`: config, log, compiled token (the chain itself is in memory). */
  readonly dataDir: string;
  /** SIGTERM, SIGKILL after the bound. Idempotent. */
  stop(): Promise<void>;
}

export interface StartEmbeddedHardhatOptions {
  /** Resolves npm packages (`hardhat/package.json`, `solc`); default `require.resolve`. */
  readonly resolveModule?: (id: string) => string;
  /** Where to look for setpriv; default `process.env.PATH`. */
  readonly path?: string;
  /** Bound on the node answering RPC after launch; default 60 s. */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 5 s. */
  readonly stopTimeoutMs?: number;
}

/** What the data folder tells another process (`coinstile demo`) about the embedded Hardhat node. */
export interface EmbeddedHardhatEndpoint {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly usdcContract: string;
}

/**
 * Starts a Hardhat node (`hardhat node`, chain id 31337, automining, Hardhat's 20 well-known funded
 * accounts) on 127.0.0.1 at a free port, and deploys the demo "USDC" from account 0, which holds its
 * supply. Hardhat keeps its chain in memory: every start is a fresh chain from block 0 (the token lands at
 * the same address each time, as account 0's first deployment). Hardhat and solc-js are development
 * dependencies: without them (a production install) this throws `HardhatMissingError`.
 */
export async function startEmbeddedHardhat(
  dataDir: string,
  logger: Logger,
  opts: StartEmbeddedHardhatOptions = {},
): Promise<EmbeddedHardhat> {
  const resolveModule = opts.resolveModule ?? ((id: string) => require.resolve(id));
  const hardhatPackage = resolveOptional(resolveModule, 'hardhat/package.json');
  if (hardhatPackage === undefined) throw new HardhatMissingError('hardhat');
  const solcModule = resolveOptional(resolveModule, 'solc');
  const solcPackage = resolveOptional(resolveModule, 'solc/package.json');
  if (solcModule === undefined || solcPackage === undefined) throw new HardhatMissingError('solc');

  const dir = join(dataDir, 'hardhat');
  mkdirSync(dir, { recursive: true });
  const solcVersion = (JSON.parse(readFileSync(solcPackage, 'utf8')) as { version: string }).version;
  const bytecode = await demoUsdcBytecode(solcModule, solcVersion, dir);

  // Hardhat runs only from a project that has it installed: the project folder gets a minimal config and
  // a node_modules link to the folder that holds hardhat.
  const configFile = join(dir, 'hardhat.config.js');
  writeFileSync(configFile, `module.exports = { networks: { hardhat: { chainId: ${HARDHAT_CHAIN_ID} } } };\n`);
  const nodeModules = join(dir, 'node_modules');
  rmSync(nodeModules, { force: true, recursive: false });
  symlinkSync(dirname(dirname(hardhatPackage)), nodeModules, 'dir');
  rmSync(join(dir, ENDPOINT_FILE), { force: true });
  const logFile = join(dir, 'hardhat.log');

  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const rpcUrl = `http://127.0.0.1:${port}`;
    const node = launchChainProcess({
      name: 'hardhat node',
      command: process.execPath,
      args: [join(dirname(hardhatPackage), 'internal', 'cli', 'cli.js'), 'node', '--hostname', '127.0.0.1', '--port', String(port), '--config', configFile],
      cwd: dir,
      logFile,
      // Coinstile's own NODE_OPTIONS (--inspect, --require hooks) must not reach the node.
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', NODE_OPTIONS: '' },
      searchPath: opts.path ?? process.env.PATH ?? '',
      logger,
    });
    try {
      await waitForChainId(rpcUrl, node, opts.startTimeoutMs ?? 60_000);
      // The node logs every request; the verifier polls several times a second.
      await evmRpc(rpcUrl, 'hardhat_setLoggingEnabled', [false]);
      const usdcContract = await deployDemoUsdc(rpcUrl, bytecode);
      const endpoint: EmbeddedHardhatEndpoint = { rpcUrl, chainId: HARDHAT_CHAIN_ID, usdcContract };
      const temporary = join(dir, `${ENDPOINT_FILE}.${process.pid}.tmp`);
      writeFileSync(temporary, `${JSON.stringify(endpoint, null, 2)}\n`);
      renameSync(temporary, join(dir, ENDPOINT_FILE));
      logger.info({ nodePid: node.pid, rpcUrl, chainId: HARDHAT_CHAIN_ID, usdcContract }, 'embedded Hardhat node started (fresh in-memory chain)');
      return {
        rpcUrl,
        chainId: HARDHAT_CHAIN_ID,
        usdcContract,
        pid: node.pid,
        dataDir: dir,
        stop: stopper(node, opts.stopTimeoutMs ?? 5_000),
      };
    } catch (err) {
      node.signal('SIGKILL');
      await node.exited;
      const tail = logTail(logFile);
      if (attempt < 3 && /EADDRINUSE/.test(tail)) continue;
      throw new EmbeddedChainStartError(`embedded Hardhat node did not start: ${(err as Error).message}${tail ? `\n${tail.trim()}` : ''}`);
    }
  }
}

/** The embedded Hardhat node as the last start in `dataDir` left it, or undefined when there is none. */
export function readEmbeddedHardhatEndpoint(dataDir: string): EmbeddedHardhatEndpoint | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, 'hardhat', ENDPOINT_FILE), 'utf8')) as Partial<EmbeddedHardhatEndpoint>;
    if (typeof parsed.rpcUrl !== 'string' || typeof parsed.chainId !== 'number' || typeof parsed.usdcContract !== 'string') return undefined;
    return { rpcUrl: parsed.rpcUrl, chainId: parsed.chainId, usdcContract: parsed.usdcContract };
  } catch {
    return undefined;
  }
}

function resolveOptional(resolveModule: (id: string) => string, id: string): string | undefined {
  try {
    return resolveModule(id);
  } catch {
    return undefined;
  }
}

async function waitForChainId(rpcUrl: string, node: ChainProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (node.hasExited) throw new Error('the Hardhat node exited before it answered RPC');
    let chainId: string;
    try {
      chainId = await evmRpc<string>(rpcUrl, 'eth_chainId', [], 5_000);
    } catch (err) {
      // An RPC error is an answer, and final; anything else (connection refused) means not listening yet.
      if (err instanceof ChainRpcError) throw err;
      lastError = (err as Error).message;
      await delay(100);
      continue;
    }
    if (Number(chainId) !== HARDHAT_CHAIN_ID) throw new Error(`eth_chainId answered ${chainId}, expected ${HARDHAT_CHAIN_ID}`);
    return;
  }
  throw new Error(`no RPC answer within ${timeoutMs} ms (${lastError})`);
}

interface TransactionReceipt {
  readonly status: string;
  readonly contractAddress: string | null;
}

/** Deploys from account 0 (unlocked on a Hardhat node; automining mines it at once) and returns the address. */
async function deployDemoUsdc(rpcUrl: string, bytecode: string): Promise<string> {
  const [deployer] = await evmRpc<string[]>(rpcUrl, 'eth_accounts');
  if (deployer === undefined) throw new Error('the Hardhat node has no accounts');
  const hash = await evmRpc<string>(rpcUrl, 'eth_sendTransaction', [{ from: deployer, data: bytecode }]);
  const receipt = await evmRpc<TransactionReceipt | null>(rpcUrl, 'eth_getTransactionReceipt', [hash]);
  if (receipt === null || receipt.status !== '0x1' || receipt.contractAddress === null) {
    throw new Error(`deploying the demo USDC failed (transaction ${hash}, receipt ${JSON.stringify(receipt)})`);
  }
  return receipt.contractAddress;
}

function stopper(node: ChainProcess, stopTimeoutMs: number): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (node.hasExited) return;
      node.signal('SIGTERM');
      await node.waitForExit(stopTimeoutMs);
    })();
    return stopping;
  };
}
