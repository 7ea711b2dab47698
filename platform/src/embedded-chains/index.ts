export {
  ChainRpcError,
  EmbeddedChainStartError,
  HARDHAT_INSTALL_HINT,
  HardhatMissingError,
  LITECOIND_INSTALL_HINT,
  LitecoindMissingError,
} from './embedded-chain-errors';
export { bitcoinRpc, evmRpc } from './chain-rpc';
export {
  DEMO_WALLET_NAME,
  type EmbeddedLitecoind,
  type EmbeddedLitecoindEndpoint,
  readEmbeddedLitecoindEndpoint,
  startEmbeddedLitecoind,
  type StartEmbeddedLitecoindOptions,
} from './embedded-litecoind';
export {
  type EmbeddedHardhat,
  type EmbeddedHardhatEndpoint,
  HARDHAT_CHAIN_ID,
  readEmbeddedHardhatEndpoint,
  startEmbeddedHardhat,
  type StartEmbeddedHardhatOptions,
} from './embedded-hardhat';
export { DEMO_USDC_DECIMALS } from './demo-usdc-token';
export { withEmbeddedChains, type WithEmbeddedChainsOptions } from './with-embedded-chains';
