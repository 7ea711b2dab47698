/**
 * @coinstile/testkit — real services for integration tests: a temporary PostgreSQL cluster, redis-server,
 * litecoind -regtest with a funded wallet, and a Hardhat node with a test ERC-20. Each starts on free ports
 * in its own temp dir (safe with parallel jest workers), throws {@link ServerStartError} with its log tail if
 * it cannot start, and dies with the test process even when a test forgets to stop it. Stop what you start
 * in `afterAll`.
 */
export { startPostgres, type PostgresServer } from './postgres-server';
export { startRedis, type RedisServer, type StartRedisOptions } from './redis-server';
export { startLitecoind, type LitecoinRegtest } from './litecoin-regtest';
export { BitcoinRpcError } from './bitcoin-rpc';
export { startHardhat, type HardhatNode, type DeployErc20Options } from './hardhat-node';
export { freePort } from './free-port';
export { ServerStartError } from './server-start-error';
export { registeredChildren } from './process-registry';
export { testkitTempRoot } from './temp-dir';
