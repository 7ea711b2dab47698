export { createDashboardRouter, DASHBOARD_CSP, type DashboardDeps, type DashboardPayoutActions } from './dashboard-router';
export { DashboardSessionStore, DASHBOARD_SESSION_TTL_SECONDS, type DashboardSession } from './dashboard-sessions';
export { QueueDepthSampler, readQueueDepthSamples, type QueueDepthSample, type QueueDepthSamplerOptions } from './queue-depth-sampler';
export { SettlementQueueReader, type SettlementQueueSnapshot, type StageCount, type StageKey, type QueueCount, type FailedJobView } from './settlement-queue';
export { dashboardFor, type DashboardForGatewayOptions } from './dashboard-for-gateway';
