import type { Logger } from 'pino';
import type { Config } from '../config/config-schema';
import { safeConfigView } from '../config/load-config';
import { closeableComponent } from '../lifecycle/components';
import type { Lifecycle } from '../lifecycle/lifecycle';
import { HardhatMissingError, LitecoindMissingError } from './embedded-chain-errors';
import { type StartEmbeddedHardhatOptions, startEmbeddedHardhat } from './embedded-hardhat';
import { type StartEmbeddedLitecoindOptions, startEmbeddedLitecoind } from './embedded-litecoind';

export interface WithEmbeddedChainsOptions {
  readonly litecoind?: StartEmbeddedLitecoindOptions;
  readonly hardhat?: StartEmbeddedHardhatOptions;
}

/**
 * The embedded default's chains: for a Litecoin node the operator did not configure (`LTC_RPC_URL` unset)
 * an embedded `litecoind -regtest`, for an EVM node (`ETH_RPC_URL` unset) an embedded Hardhat node with
 * the demo USDC. Returns `config` with `ltcRpcUrl`/`ltcNetwork` (regtest, as the node is) and
 * `ethRpcUrl`/`ethChainId`/`usdcContract` filled in from them; values the operator set are kept. Each node
 * is registered with `lifecycle` (register this before the services that read the chains, so they stop
 * first). A missing binary or package is a logged notice with the install hint, not a failure; a node
 * that is there but does not start is (`EmbeddedChainStartError`), after stopping what did start.
 * With `NODE_ENV=production` nothing is started: production names its nodes.
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
