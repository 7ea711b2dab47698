export { ConfigError, type ConfigProblem } from './config-error';
export {
  CHAIN_NETWORKS,
  type ChainNetwork,
  type Config,
  FX_SOURCE_NAMES,
  type FxSourceName,
  type FxStaticRate,
  LOG_LEVELS,
  type LogLevel,
  NODE_ENVS,
  type NodeEnv,
} from './config-schema';
export { loadConfig, type LoadConfigOptions, safeConfigView } from './load-config';
