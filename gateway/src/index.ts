export { createGatewayApp, type GatewayAppOptions, type GatewayDeps, REQUEST_BODY_LIMIT } from './app';
export { startGateway, type RunningGateway, type StartGatewayOptions } from './main';
export { ensureOperatorToken, hashOperatorToken, type OperatorTokenBootstrap } from './auth/operator-token';
