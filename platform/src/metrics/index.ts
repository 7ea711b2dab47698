export { createMetrics, type CreateMetricsOptions, type Metrics, metricsHandler } from './metrics';
