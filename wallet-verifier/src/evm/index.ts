export * from './evm-errors';
export * from './evm-chain';
export * from './evm-matcher';
export * from './evm-provider';
export * from './evm-chain-follower';
export * from './start-evm-follower';
