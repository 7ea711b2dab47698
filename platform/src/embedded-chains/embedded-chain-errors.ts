/** How to install litecoind, for the notice when the embedded default cannot run a Litecoin node. */
export const LITECOIND_INSTALL_HINT =
  'Install it (Debian/Ubuntu: sudo apt-get install litecoind) or set LTC_RPC_URL and LTC_NETWORK to an existing node.';

/** How to get the Hardhat node, for the notice when the embedded default cannot run an EVM chain. */
export const HARDHAT_INSTALL_HINT =
  'Hardhat is a development dependency: run from a development checkout (npm install, without --omit=dev) ' +
  'or set ETH_RPC_URL, ETH_CHAIN_ID and USDC_CONTRACT to an existing node.';

/** `litecoind` is not on PATH: the embedded default runs without a Litecoin chain. */
export class LitecoindMissingError extends Error {
  override readonly name = 'LitecoindMissingError';
  constructor() {
    super(`litecoind was not found on PATH. ${LITECOIND_INSTALL_HINT}`);
  }
}

/** `hardhat` (or `solc`, to compile the demo token) cannot be resolved: the embedded default runs without an EVM chain. */
export class HardhatMissingError extends Error {
  override readonly name = 'HardhatMissingError';
  constructor(readonly missingPackage: 'hardhat' | 'solc') {
    super(`the npm package ${missingPackage} is not installed. ${HARDHAT_INSTALL_HINT}`);
  }
}

/** An embedded chain node did not come up (it exited, refused its RPC credentials, or did not answer in time). */
export class EmbeddedChainStartError extends Error {
  override readonly name = 'EmbeddedChainStartError';
}

/** A JSON-RPC error answered by a chain node, with its numeric code. */
export class ChainRpcError extends Error {
  override readonly name = 'ChainRpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method}: ${message} (RPC error ${code})`);
  }
}
