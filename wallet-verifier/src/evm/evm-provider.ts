import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import { EvmFollowerConfigError } from './evm-errors';

export interface EvmProviderOptions {
  /** Per-request bound. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * An ethers JSON-RPC provider for the follower: the network is fixed (`staticNetwork`, so a node that is
 * down at start is retried by the follower's backoff rather than by ethers' endless network detection;
 * the follower checks `eth_chainId` itself), responses are never shared between calls (`cacheTimeout:
 * -1`: a tip read right after a block must be fresh), and calls made together go out as one batch.
 * Only http(s) endpoints: a WebSocket provider does not reconnect by itself.
 */
export function createEvmProvider(rpcUrl: string, chainId: number, options: EvmProviderOptions = {}): JsonRpcProvider {
  const url = new URL(rpcUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EvmFollowerConfigError('ETH_RPC_URL', `the chain follower needs an http(s):// JSON-RPC endpoint, not ${url.protocol}//`);
  }
  const request = new FetchRequest(rpcUrl);
  request.timeout = options.timeoutMs ?? 10_000;
  if (url.username !== '') {
    request.setCredentials(decodeURIComponent(url.username), decodeURIComponent(url.password));
    // The operator chose credentials over plain http (a node on a private network).
    request.allowInsecureAuthentication = url.protocol === 'http:';
    url.username = '';
    url.password = '';
    request.url = url.toString();
  }
  const network = Network.from(chainId);
  // batchStallTime 0: calls made in one turn of the event loop (a range of blocks) still go out as one
  // batch, without the default 10 ms wait before every sequential call of a round.
  return new JsonRpcProvider(request, network, { staticNetwork: network, cacheTimeout: -1, batchMaxCount: 100, batchStallTime: 0 });
}
