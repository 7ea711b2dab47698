export { startPayouts, type StartPayoutsOptions, type RunningPayouts } from './main';
export { OrderReleaser, type OrderReleaserDeps, type ReleaseOutcome } from './order-releaser';
export { PayoutScheduler, type PayoutSchedulerDeps, type ScheduleOutcome } from './payout-scheduler';
export { SettlementProcessor, type SettlementOutcome } from './settlement-processor';
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
