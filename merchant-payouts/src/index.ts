export { startPayouts, type StartPayoutsOptions, type RunningPayouts } from './main';
export {
  SettlementProcessor,
  type ReleaseOutcome,
  type ScheduleOutcome,
  type SettlementOutcome,
  type SettlementProcessorDeps,
  type SettlementResult,
} from './settlement-processor';
export { SettlementBatcher, type SettlementBatcherOptions } from './settlement-batcher';
export { PipelineSweeper, type PipelineSweeperOptions } from './pipeline-sweeper';
export { pipelineRoute } from './pipeline-routes';
export { PipelineRefusedError, type PipelineRefusalReason } from './pipeline-errors';
export { orderReleasedEventId, payoutEventId, type OrderReleasedEvent, type PayoutEvent, type ReleasedPayment } from './pipeline-events';
export {
  InvalidPayoutScheduleError,
  parsePayoutSchedule,
  payoutDueAt,
  payoutScheduleJson,
  type PayoutSchedule,
} from './payout-schedule';
export { fxSpreadMinor, mallFeeMinor } from './fees';
export { pipelineKysely, type PipelineDB, type PipelineTables, type OrderReleasesTable } from './pipeline-schema';
export * from './payouts-io';
export * from './receipts';
export * from './escrow';
