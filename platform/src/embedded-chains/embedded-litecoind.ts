import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { bitcoinRpc, RPC_IN_WARMUP } from './chain-rpc';
import { type ChainProcess, delay, findExecutable, freeLoopbackPort, launchChainProcess, logTail } from './chain-process';
import { ChainRpcError, EmbeddedChainStartError, LitecoindMissingError } from './embedded-chain-errors';

/** The wallet the demo pays from; block rewards of the embedded node go to it. */
export const DEMO_WALLET_NAME = 'coinstile-demo';

/** Coinbase outputs mature after 100 blocks: 101 make the first block's reward spendable. */
const INITIAL_BLOCKS = 101;
const ENDPOINT_FILE = 'coinstile-rpc.json';
/** Bitcoin Core's code for "wallet not found" (loadwallet). */
const RPC_WALLET_NOT_FOUND = -18;

export interface EmbeddedLitecoind {
  /** `http://user:pass@127.0.0.1:<port>`: node-level JSON-RPC, what `LTC_RPC_URL` takes. */
  readonly rpcUrl: string;
  /** `rpcUrl` + `/wallet/coinstile-demo`: the funded demo wallet. */
  readonly walletRpcUrl: string;
  readonly network: 'regtest';
  readonly pid: number;
  /** `<dataDir>/litecoin-regtest`. */
  readonly dataDir: string;
  /** `stop` RPC (SIGTERM if it cannot be delivered), SIGKILL after the bound. Idempotent. */
  stop(): Promise<void>;
}

export interface StartEmbeddedLitecoindOptions {
  /** Where to look for litecoind and setpriv; default `process.env.PATH`. */
  readonly path?: string;
  /** Bound on the node answering RPC after launch; default 60 s. */
  readonly startTimeoutMs?: number;
  /** How long `stop()` waits for a clean exit before SIGKILL; default 20 s. */
  readonly stopTimeoutMs?: number;
}

/** What the data folder tells another process (`coinstile demo`) about the embedded node. */
export interface EmbeddedLitecoindEndpoint {
  readonly rpcUrl: string;
  readonly walletRpcUrl: string;
  readonly network: 'regtest';
}

/** `<dataDir>/litecoin-regtest/coinstile-rpc.json`: the RPC credentials (kept across restarts) and the current port. */
interface EndpointFile {
  readonly user: string;
  readonly password: string;
  readonly port?: number;
}

/**
 * Starts `litecoind -regtest` for the embedded default: datadir `<dataDir>/litecoin-regtest` (blocks and
 * wallet persist across restarts), RPC on 127.0.0.1 at a free port with random credentials kept in a 0600
 * file in that datadir (a restart reuses them), no P2P network, MWEB never activating (it would stop
 * mining at height 432), and a funded wallet `coinstile-demo`: 101 blocks are mined to it on the first start.
 * Throws `LitecoindMissingError` when litecoind is not on PATH, `EmbeddedChainStartError` when it does not come up.
 */
export async function startEmbeddedLitecoind(
  dataDir: string,
  logger: Logger,
  opts: StartEmbeddedLitecoindOptions = {},
): Promise<EmbeddedLitecoind> {
  const searchPath = opts.path ?? process.env.PATH ?? '';
  const litecoind = findExecutable('litecoind', searchPath);
  if (!litecoind) throw new LitecoindMissingError();
  const dir = join(dataDir, 'litecoin-regtest');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const credentials = readOrCreateCredentials(dir);
  const logFile = join(dir, 'litecoind.log');

  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const rpcUrl = `http://${credentials.user}:${credentials.password}@127.0.0.1:${port}`;
    const node = launchChainProcess({
      name: 'litecoind',
      command: litecoind,
      args: litecoindArgs(dir, port, credentials),
      cwd: dir,
      logFile,
      searchPath,
      logger,
    });
    try {
      await waitForRpc(rpcUrl, node, opts.startTimeoutMs ?? 60_000);
      const walletRpcUrl = `${rpcUrl}/wallet/${DEMO_WALLET_NAME}`;
      await loadOrCreateWallet(rpcUrl);
      const height = await fundWallet(rpcUrl, walletRpcUrl);
      writeEndpointFile(dir, { ...credentials, port });
      logger.info({ nodePid: node.pid, port, dir, height, wallet: DEMO_WALLET_NAME }, 'embedded litecoind (regtest) started');
      return {
        rpcUrl,
        walletRpcUrl,
        network: 'regtest',
        pid: node.pid,
        dataDir: dir,
        stop: stopper(rpcUrl, node, opts.stopTimeoutMs ?? 20_000),
      };
    } catch (err) {
      node.signal('SIGKILL');
      await node.exited;
      const tail = logTail(logFile);
      // Another process may take the port between choosing it and the bind.
      if (attempt < 3 && /Unable to bind|Address already in use/i.test(tail)) continue;
      throw new EmbeddedChainStartError(`embedded litecoind did not start: ${(err as Error).message}${tail ? `\n${tail.trim()}` : ''}`);
    }
  }
}

/** The embedded node as the last start in `dataDir` left it, or undefined when it never started there. */
export function readEmbeddedLitecoindEndpoint(dataDir: string): EmbeddedLitecoindEndpoint | undefined {
  const file = readEndpointFile(join(dataDir, 'litecoin-regtest'));
  if (file?.port === undefined) return undefined;
  const rpcUrl = `http://${file.user}:${file.password}@127.0.0.1:${file.port}`;
  return { rpcUrl, walletRpcUrl: `${rpcUrl}/wallet/${DEMO_WALLET_NAME}`, network: 'regtest' };
}

function litecoindArgs(dir: string, port: number, credentials: EndpointFile): string[] {
  return [
    '-regtest',
    `-datadir=${dir}`,
    '-server',
    '-txindex',
    '-fallbackfee=0.0001',
    `-rpcuser=${credentials.user}`,
    `-rpcpassword=${credentials.password}`,
    '-rpcbind=127.0.0.1',
    '-rpcallowip=127.0.0.1',
    `-rpcport=${port}`,
    // The verifier polls in parallel; the default queue of 16 answers "Work queue depth exceeded".
    '-rpcthreads=8',
    '-rpcworkqueue=256',
    // A single node: no P2P listener, no peers looked up.
    '-listen=0',
    '-connect=0',
    '-dnsseed=0',
    '-upnp=0',
    '-discover=0',
    // MWEB's regtest deployment activates at height 432, after which a node without MWEB peg-ins cannot
    // mine a block (CreateNewBlock: bad-txns-vin-empty): set to never activate (heights given too, or
    // 0.21.2.1 logs uninitialized values for them).
    '-vbparams=mweb:-2:-2:2147483647:2147483647',
    '-printtoconsole',
    '-nodebuglogfile',
  ];
}

function readOrCreateCredentials(dir: string): EndpointFile {
  const existing = readEndpointFile(dir);
  if (existing !== undefined) return { user: existing.user, password: existing.password };
  const created = { user: `coinstile-${randomBytes(6).toString('hex')}`, password: randomBytes(24).toString('hex') };
  writeEndpointFile(dir, created);
  return created;
}

function readEndpointFile(dir: string): EndpointFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, ENDPOINT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as Partial<EndpointFile>;
  if (typeof parsed.user !== 'string' || typeof parsed.password !== 'string') {
    throw new EmbeddedChainStartError(`${join(dir, ENDPOINT_FILE)} is damaged (no user/password): delete it to have new credentials made`);
  }
  return { user: parsed.user, password: parsed.password, ...(typeof parsed.port === 'number' ? { port: parsed.port } : {}) };
}

/** Written to a temp file with mode 0600 and renamed into place: never readable by others, never half written. */
function writeEndpointFile(dir: string, content: EndpointFile): void {
  const file = join(dir, ENDPOINT_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

async function waitForRpc(rpcUrl: string, node: ChainProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (node.hasExited) throw new Error('litecoind exited before it answered RPC');
    try {
      await bitcoinRpc(rpcUrl, 'getblockchaininfo', [], 5_000);
      return;
    } catch (err) {
      // Still loading blocks or wallets; or not listening yet. Anything else (401) is final.
      if (err instanceof ChainRpcError && err.code !== RPC_IN_WARMUP) throw err;
      lastError = (err as Error).message;
    }
    await delay(50);
  }
  throw new Error(`no RPC answer within ${timeoutMs} ms (${lastError})`);
}

async function loadOrCreateWallet(rpcUrl: string): Promise<void> {
  const loaded = await bitcoinRpc<string[]>(rpcUrl, 'listwallets');
  if (loaded.includes(DEMO_WALLET_NAME)) return;
  try {
    await bitcoinRpc(rpcUrl, 'loadwallet', [DEMO_WALLET_NAME]);
    return;
  } catch (err) {
    if (!(err instanceof ChainRpcError && err.code === RPC_WALLET_NOT_FOUND)) throw err;
  }
  // createwallet(name, disable_private_keys, blank, passphrase, avoid_reuse, descriptors, load_on_startup).
  try {
    await bitcoinRpc(rpcUrl, 'createwallet', [DEMO_WALLET_NAME, false, false, '', false, true, true]);
  } catch (err) {
    // Debian's litecoind 0.21 is built without SQLite, which descriptor wallets need: a legacy wallet then.
    if (!(err instanceof ChainRpcError && /sqlite/i.test(err.message))) throw err;
    await bitcoinRpc(rpcUrl, 'createwallet', [DEMO_WALLET_NAME, false, false, '', false, false, true]);
  }
}

/** Mines up to height 101 (first start, or a first start cut short) to the demo wallet; returns the height. */
async function fundWallet(rpcUrl: string, walletRpcUrl: string): Promise<number> {
  const height = await bitcoinRpc<number>(rpcUrl, 'getblockcount');
  if (height >= INITIAL_BLOCKS) return height;
  const address = await bitcoinRpc<string>(walletRpcUrl, 'getnewaddress', ['', 'bech32']);
  await bitcoinRpc(rpcUrl, 'generatetoaddress', [INITIAL_BLOCKS - height, address], 120_000);
  return INITIAL_BLOCKS;
}

function stopper(rpcUrl: string, node: ChainProcess, stopTimeoutMs: number): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (node.hasExited) return;
      try {
        await bitcoinRpc(rpcUrl, 'stop', [], 5_000);
      } catch {
        node.signal('SIGTERM');
      }
      await node.waitForExit(stopTimeoutMs);
    })();
    return stopping;
  };
}
