import type { ServiceRuntime } from '@coinstile/platform';
import { ChainFollowerService, type ChainFollowerServiceOptions } from '../follower/chain-follower-service';
import { InProcessLock, PostgresAdvisoryLock, type FollowerLock } from '../follower/follower-lock';
import { followerMetrics, type FollowerMetrics } from '../follower/follower-metrics';
import { CheckoutEvaluator } from '../payments/checkout-evaluator';
import { EvmChainFollower, type EvmFollowerOptions } from './evm-chain-follower';
import { evmChainSpec } from './evm-chain';
import { createEvmProvider } from './evm-provider';

export interface StartEvmFollowerDeps {
  /** The verifier's evaluator (shared with the other followers and the sweeper); a new one if absent. */
  readonly evaluator?: CheckoutEvaluator;
  /** The verifier's follower metrics; from `runtime.metrics.registry` if absent. */
  readonly metrics?: FollowerMetrics;
  /** Who may follow `ethereum`; a PostgreSQL advisory lock (in-process on embedded PGlite) if absent. */
  readonly lock?: FollowerLock;
  readonly follower?: EvmFollowerOptions;
  readonly service?: ChainFollowerServiceOptions;
  /** Per-request bound of JSON-RPC calls. Default 10 s. */
  readonly rpcTimeoutMs?: number;
}

/**
 * Starts the `ethereum` chain follower on `runtime` when `ETH_RPC_URL` is configured (else returns
 * undefined): native ETH, and USDC by `USDC_CONTRACT` when set, on the chain `ETH_CHAIN_ID` (required; a
 * node of another chain is refused at each start). It waits as standby while another process holds the
 * chain's lock, retries with backoff while the node is unreachable, and is registered with
 * `runtime.lifecycle` (its JSON-RPC provider is closed after it stops).
 * Throws `EvmFollowerConfigError` for unusable configuration.
 */
export function startEvmFollower(runtime: ServiceRuntime, deps: StartEvmFollowerDeps = {}): ChainFollowerService | undefined {
  const { config, db, logger, clock, random } = runtime;
  if (config.ethRpcUrl === undefined) return undefined;
  const tokens = config.usdcContract === undefined ? [] : [{ asset: 'USDC' as const, contract: config.usdcContract, variable: 'USDC_CONTRACT' }];
  const spec = evmChainSpec(config.ethChainId, tokens);
  const provider = createEvmProvider(config.ethRpcUrl, spec.chainId, { timeoutMs: deps.rpcTimeoutMs ?? 10_000 });
  const metrics = deps.metrics ?? followerMetrics(runtime.metrics.registry);
  const evaluator = deps.evaluator ?? new CheckoutEvaluator(db, { clock, random });
  const lock = deps.lock ?? (config.databaseUrl === undefined ? new InProcessLock() : new PostgresAdvisoryLock(config.databaseUrl, spec.chain));
  const childLogger = logger.child({ component: 'chain-follower', chain: spec.chain });
  const service = new ChainFollowerService(
    spec.chain,
    () => new EvmChainFollower(spec, provider, db, evaluator, clock, random, childLogger, metrics, deps.follower),
    lock,
    childLogger,
    metrics,
    deps.service,
  );
  // Registered first so it stops after the follower (components stop in reverse order).
  runtime.lifecycle.register({ name: 'evm-json-rpc-provider', stop: async () => provider.destroy() });
  service.start();
  runtime.lifecycle.register(service);
  logger.info({ chain: spec.chain, chainId: spec.chainId, tokens: spec.tokens }, 'chain follower started');
  return service;
}
