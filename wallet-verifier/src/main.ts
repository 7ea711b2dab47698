import { checkoutUpdateChannel, publishCheckoutUpdate, type ReadinessCheck, type ServiceRuntime } from '@coinstile/platform';
import type { ChainNetwork, UtxoChain } from './addresses';
import { utxoChainSpec } from './chain/utxo-chain';
import { ChainFollowerService, type ChainFollowerServiceOptions, type FollowerStatus } from './follower/chain-follower-service';
import { InProcessLock, PostgresAdvisoryLock } from './follower/follower-lock';
import { followerMetrics } from './follower/follower-metrics';
import { UtxoChainFollower, type UtxoFollowerOptions } from './follower/utxo-chain-follower';
import { startEvmFollower } from './evm/start-evm-follower';
import type { EvmFollowerOptions } from './evm/evm-chain-follower';
import { CheckoutEvaluator } from './payments/checkout-evaluator';
import { BitcoinRpcClient } from './rpc/bitcoin-rpc-client';
import { ExpirySweeper, type ExpirySweeperOptions } from './sweeper/expiry-sweeper';

export interface StartVerifierOptions {
  readonly follower?: UtxoFollowerOptions;
  readonly evmFollower?: EvmFollowerOptions;
  readonly service?: ChainFollowerServiceOptions;
  readonly sweeper?: ExpirySweeperOptions;
  /** Per-request bound of chain RPC calls. Default 10 s. */
  readonly rpcTimeoutMs?: number;
}

/** The running verifier: one follower per configured chain and the expiry sweeper. */
export interface Verifier {
  readonly followers: readonly ChainFollowerService[];
  readonly sweeper: ExpirySweeper;
  /** For `/readyz`: one check per chain (a leader fails when it lags or cannot reach its node). */
  readonly readinessChecks: readonly ReadinessCheck[];
  status(): FollowerStatus[];
}

/**
 * Starts the wallet verifier on `runtime`: for each of `LTC_RPC_URL`/`LTC_NETWORK` and
 * `BTC_RPC_URL`/`BTC_NETWORK` (and `ETH_RPC_URL`/`ETH_CHAIN_ID` with `USDC_CONTRACT`) that is configured, a chain follower (waiting as standby while another
 * process holds the chain's lock: a PostgreSQL advisory lock, or in-process on embedded PGlite), plus the
 * expiry sweeper; all registered with `runtime.lifecycle`, so shutdown stops them before the database.
 * Metrics go to `runtime.metrics.registry`.
 */
export async function startVerifier(runtime: ServiceRuntime, options: StartVerifierOptions = {}): Promise<Verifier> {
  const { config, db, logger, clock, random } = runtime;
  const metrics = followerMetrics(runtime.metrics.registry);
  // After each commit, open hosted pages (in any gateway process) are told to re-read the checkout at
  // once; their database poll covers a lost message.
  const evaluator = new CheckoutEvaluator(db, {
    clock,
    random,
    onEvents: (events) => {
      if (events.length === 1) {
        void publishCheckoutUpdate(runtime.redis, events[0]!.checkoutId, events[0]!.version);
        return;
      }
      // A block settles thousands at once: one pipeline, not a round trip per checkout.
      const pipeline = runtime.redis.pipeline();
      for (const event of events) pipeline.publish(checkoutUpdateChannel(event.checkoutId), String(event.version));
      void pipeline.exec().catch((err: unknown) => logger.debug({ err }, 'checkout updates not announced'));
    },
  });
  const chains: { chain: UtxoChain; url: string | undefined; network: ChainNetwork }[] = [
    { chain: 'litecoin', url: config.ltcRpcUrl, network: config.ltcNetwork },
    { chain: 'bitcoin', url: config.btcRpcUrl, network: config.btcNetwork },
  ];
  const followers: ChainFollowerService[] = [];
  for (const { chain, url, network } of chains) {
    if (url === undefined) continue;
    const spec = utxoChainSpec(chain, network);
    const rpc = new BitcoinRpcClient(url, { timeoutMs: options.rpcTimeoutMs ?? 10_000 });
    const lock = config.databaseUrl === undefined ? new InProcessLock() : new PostgresAdvisoryLock(config.databaseUrl, chain);
    const childLogger = logger.child({ component: 'chain-follower', chain });
    const service = new ChainFollowerService(
      chain,
      () => new UtxoChainFollower(spec, rpc, db, evaluator, clock, random, childLogger, metrics, options.follower),
      lock,
      childLogger,
      metrics,
      options.service,
    );
    service.start();
    runtime.lifecycle.register(service);
    followers.push(service);
    logger.info({ chain, network, node: rpc.endpoint }, 'chain follower started');
  }
  const evm = startEvmFollower(runtime, {
    evaluator,
    metrics,
    ...(options.evmFollower ? { follower: options.evmFollower } : {}),
    ...(options.service ? { service: options.service } : {}),
    ...(options.rpcTimeoutMs === undefined ? {} : { rpcTimeoutMs: options.rpcTimeoutMs }),
  });
  if (evm !== undefined) followers.push(evm);
  if (followers.length === 0) {
    logger.warn('no chain node configured (LTC_RPC_URL / BTC_RPC_URL / ETH_RPC_URL): the verifier only sweeps expiries');
  }
  const sweeper = new ExpirySweeper(db, evaluator, clock, logger.child({ component: 'expiry-sweeper' }), options.sweeper);
  sweeper.start();
  runtime.lifecycle.register(sweeper);
  return {
    followers,
    sweeper,
    readinessChecks: followers.map((f) => f.readinessCheck()),
    status: () => followers.map((f) => f.status()),
  };
}
