export {
  EmbeddedRedisStartError,
  type EmbeddedRedis,
  RedisServerMissingError,
  startEmbeddedRedis,
  type StartEmbeddedRedisOptions,
} from './embedded-redis-server';
export {
  createQueue,
  type CreateQueueOptions,
  createWorker,
  type CreateWorkerOptions,
  DEFAULT_JOB_OPTIONS,
  QUEUE_PREFIX,
} from './queue-factory';
export {
  closeRedisConnection,
  createRedisConnection,
  reconnectDelayMs,
  type RedisConnectionOptions,
  RedisNotReadyError,
  redisOptionsFor,
  type RedisRole,
  waitForRedisReady,
} from './redis-connection';
export { checkRedisProductionSettings, type RedisSettingFinding } from './redis-production-check';
export { CHECKOUT_UPDATE_CHANNEL_PREFIX, checkoutUpdateChannel, publishCheckoutUpdate } from './checkout-update-channel';
