export { jsonErrorHandler, jsonNotFoundHandler } from './error-handler';
export {
  type CheckResult,
  healthRouter,
  type HealthRouterOptions,
  postgresReadinessCheck,
  type ReadinessCheck,
  type ReadinessReport,
  redisReadinessCheck,
  runReadinessChecks,
} from './health-router';
export { REQUEST_ID_HEADER, requestIdMiddleware, requestIdOf } from './request-id';
export { createExpressServer, listenExpress } from './express-server';
