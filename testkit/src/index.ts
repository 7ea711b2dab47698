export { freePort } from './free-port';
export { startPostgres, type PostgresServer } from './postgres-server';
export { ServerStartError } from './server-start-error';
export { registeredChildren } from './process-registry';
export { startRedis, type RedisServer, type StartRedisOptions } from './redis-server';
export { startLitecoind, type LitecoinRegtest } from './litecoin-regtest';
export { BitcoinRpcError } from './bitcoin-rpc';
export { startHardhat, type HardhatNode, type DeployErc20Options } from './hardhat-node';
export { testkitTempRoot } from './temp-dir';
