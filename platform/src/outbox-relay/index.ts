export { OutboxRelay, outboxEventJob, type OutboxEventBatchJob, type OutboxEventJob, type OutboxRelayOptions, type OutboxRouter } from './outbox-relay';
export { jobIdForEvent, eventIdFromJobId } from './job-id';
export { PIPELINE_QUEUES, type PipelineQueueName } from './pipeline-queues';
export { OUTBOX_NOTIFY_CHANNEL, PostgresOutboxListener, type OutboxNotifications } from './outbox-listener';
