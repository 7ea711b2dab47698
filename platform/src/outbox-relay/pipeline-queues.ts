/**
 * Names of the queues the outbox feeds, shared by the producers (the relay's routes) and the workers,
 * which may live in different workspaces and processes.
 */
export const PIPELINE_QUEUES = {
  /** `checkout.settled` → release the order once. */
  releaseOrder: 'release-order',
  /** `order.released` → one payout per checkout, per the store's schedule. */
  schedulePayout: 'schedule-payout',
  /** Store-facing events → one webhook delivery row per subscribed endpoint. */
  webhookFanout: 'webhook-fanout',
} as const;

export type PipelineQueueName = (typeof PIPELINE_QUEUES)[keyof typeof PIPELINE_QUEUES];
