/** The node at `ETH_RPC_URL` serves another chain than `ETH_CHAIN_ID`: following it could credit foreign payments. */
export class EvmChainIdMismatchError extends Error {
  override readonly name = 'EvmChainIdMismatchError';
  constructor(
    readonly expectedChainId: number,
    readonly nodeChainId: number,
  ) {
    super(`ETH_RPC_URL serves chain id ${nodeChainId}, but ETH_CHAIN_ID is ${expectedChainId}`);
  }
}

/** The EVM follower's configuration cannot be used (checked at start, before anything is followed). */
export class EvmFollowerConfigError extends Error {
  override readonly name = 'EvmFollowerConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}
