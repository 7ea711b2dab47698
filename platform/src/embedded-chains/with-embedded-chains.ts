import type { Logger } from 'pino';
import type { Config } from '../config/config-schema';
import type { Database } from '../db/database';
import { safeConfigView } from '../config/load-config';
import { closeableComponent } from '../lifecycle/components';
import type { Lifecycle } from '../lifecycle/lifecycle';
import { HardhatMissingError, LitecoindMissingError } from './embedded-chain-errors';
import { type StartEmbeddedHardhatOptions, startEmbeddedHardhat } from './embedded-hardhat';
import { type StartEmbeddedLitecoindOptions, startEmbeddedLitecoind } from './embedded-litecoind';

export interface WithEmbeddedChainsOptions {
  /**
   * The store of record. The embedded Hardhat chain is new at every start, so the `ethereum` follower's
   * cursor and remembered blocks from the previous run describe a chain that is gone: given the database,
   * they are forgotten when the embedded Hardhat node starts, and the follower starts afresh at the new
   * chain's tip. Without it, a follower that ran before stops at "reorganisation deeper than …".
   */
  readonly database?: Database;
  readonly litecoind?: StartEmbeddedLitecoindOptions;
  readonly hardhat?: StartEmbeddedHardhatOptions;
}

/** The EVM follower's chain name in `chain_cursors` / `chain_recent_blocks`. */
const EVM_CHAIN = 'ethereum';

/**
 * The embedded default's chains: for a Litecoin node the operator did not configure (`LTC_RPC_URL` unset)
 * an embedded `litecoind -regtest`, for an EVM node (`ETH_RPC_URL` unset) an embedded Hardhat node with
 * the demo USDC. Returns `config` with `ltcRpcUrl`/`ltcNetwork` (regtest, as the node is) and
 * `ethRpcUrl`/`ethChainId`/`usdcContract` filled in from them; values the operator set are kept. Each node
 * is registered with `lifecycle` (register this before the services that read the chains, so they stop
 * first). A missing binary or package is a logged notice with the install hint, not a failure; a node
 * that is there but does not start is (`EmbeddedChainStartError`): a node started before it is already
 * registered, so shutting `lifecycle` down stops it.
 * With `NODE_ENV=production` nothing is started: production names its nodes. Pass `opts.database` (see
 * there) and call this before the chain followers start.
 */
export async function withEmbeddedChains(
  config: Config,
  dataDir: string,
  logger: Logger,
  lifecycle: Lifecycle,
  opts: WithEmbeddedChainsOptions = {},
): Promise<Config> {
  const log = logger.child({ component: 'embedded-chains' });
  if (config.nodeEnv === 'production') {
    if (config.ltcRpcUrl === undefined || config.ethRpcUrl === undefined) {
      log.info('NODE_ENV=production: no embedded regtest chains are started for unset LTC_RPC_URL / ETH_RPC_URL');
    }
    return config;
  }
  let ltc: Partial<Pick<Config, 'ltcRpcUrl' | 'ltcNetwork'>> = {};
  if (config.ltcRpcUrl === undefined) {
    try {
      const node = await startEmbeddedLitecoind(dataDir, log, opts.litecoind);
      lifecycle.register({ ...closeableComponent('embedded-litecoind', () => node.stop()), timeoutMs: 25_000 });
      ltc = { ltcRpcUrl: node.rpcUrl, ltcNetwork: node.network };
    } catch (err) {
      if (!(err instanceof LitecoindMissingError)) throw err;
      log.warn(`No Litecoin chain: ${err.message}`);
    }
  }
  let eth: Partial<Pick<Config, 'ethRpcUrl' | 'ethChainId' | 'usdcContract'>> = {};
  if (config.ethRpcUrl === undefined) {
    try {
      const node = await startEmbeddedHardhat(dataDir, log, opts.hardhat);
      lifecycle.register(closeableComponent('embedded-hardhat', () => node.stop()));
      if (opts.database !== undefined) await forgetEvmFollowerProgress(opts.database, log);
      eth = {
        ethRpcUrl: node.rpcUrl,
        ethChainId: config.ethChainId ?? node.chainId,
        usdcContract: config.usdcContract ?? node.usdcContract,
      };
    } catch (err) {
      if (!(err instanceof HardhatMissingError)) throw err;
      log.warn(`No EVM chain: ${err.message}`);
    }
  }
  const filled: Config = { ...config, ...ltc, ...eth };
  Object.defineProperty(filled, 'toJSON', { value: () => safeConfigView(filled), enumerable: false });
  return Object.freeze(filled);
}

async function forgetEvmFollowerProgress(database: Database, log: Logger): Promise<void> {
  const forgotten = await database.transaction(async (trx) => {
    const cursor = await trx.deleteFrom('chain_cursors').where('chain', '=', EVM_CHAIN).returning('height').executeTakeFirst();
    await trx.deleteFrom('chain_recent_blocks').where('chain', '=', EVM_CHAIN).execute();
    return cursor;
  });
  if (forgotten !== undefined) {
    log.info({ previousHeight: String(forgotten.height) }, 'embedded Hardhat chain is new: the EVM follower starts again at its tip');
  }
}
